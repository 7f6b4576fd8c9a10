"""The command line speaks the interface's language, through the one catalogue.

The language is the ``locale`` setting of veille.toml (the web UI's), French
without one. Checked on real commands: a summary (``alumni import``) in French
and in English, the ``error:`` prefix, the database-refusal sentence, and the
commands that need no configuration. A source check fails on any prose a CLI
module prints without the catalogue, and on a catalogue call inside an
f-string (Babel does not extract those, so they would escape
``tests/web/test_i18n.py``). ``tests/crawlers/test_health.py`` reads
``veille sources status`` on a real crawled database in both languages.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from veille.cli import app, database_refusal
from veille.cli._common import console, state
from veille.i18n import active_locale, set_locale

ROOT = Path(__file__).resolve().parents[2]
CLI_DIR = ROOT / "veille" / "cli"
HEADER = "id,first_name,last_name,birth_date,email,city,graduation_year\n"
ROWS = (
    "A1,Claire,Martin,1990-05-31,claire@example.org,Lyon,2012\n"
    "A2,Hugo,Bernard,1988-01-02,hugo@example.org,Paris,2010\n"
    "A3,Inès,Petit,1992-07-14,ines@example.org,Lille,2014\n"
)


@pytest.fixture(autouse=True)
def _french_afterwards(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A command run in English leaves this process in English: put French back."""
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.delenv("VEILLE_CONFIG", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the file's database_url, not the suite's
    state._settings = None
    yield
    state._settings = None
    set_locale("fr")


def _config(tmp_path: Path, db_url: str, locale: str | None = None) -> Path:
    path = tmp_path / f"veille-{locale or 'default'}.toml"
    first = f'locale = "{locale}"\n' if locale else ""
    path.write_text(
        f'{first}database_url = "{db_url}"\n[institution]\nslug = "u"\nname = "Université U"\n',
        encoding="utf-8",
    )
    return path


def _run(*args: str, **kw: object):
    state._settings = None
    return CliRunner().invoke(app, list(args), **kw)  # type: ignore[arg-type]


def test_a_summary_follows_the_locale_setting(tmp_path: Path, sqlite_url: str) -> None:
    csv = tmp_path / "alumni.csv"
    csv.write_text(HEADER + ROWS, encoding="utf-8")
    french = _run("-c", str(_config(tmp_path, sqlite_url)), "alumni", "import", str(csv))
    assert french.exit_code == 0, french.output
    assert "3 lignes lues : 3 fiches créées, 0 mise à jour, 0 inchangée." in french.output

    english = _run("-c", str(_config(tmp_path, sqlite_url, "en")), "alumni", "import", str(csv))
    assert english.exit_code == 0, english.output
    assert active_locale() == "en"
    assert "3 rows read: 0 records created, 0 updated, 3 unchanged." in english.output

    # the next invocation reads its own configuration again: French by default
    again = _run("-c", str(_config(tmp_path, sqlite_url)), "alumni", "import", str(csv))
    assert "3 lignes lues : 0 fiche créée, 0 mise à jour, 3 inchangées." in again.output


def test_the_error_prefix_is_translated(tmp_path: Path, sqlite_url: str) -> None:
    french = _run("-c", str(_config(tmp_path, sqlite_url)), "optout", "add")
    assert french.exit_code == 1
    # the prefix and the VeilleError's own text follow the locale
    assert french.output.startswith("erreur : rien à ajouter : indiquez --handle"), french.output
    english = _run("-c", str(_config(tmp_path, sqlite_url, "en")), "optout", "add")
    assert english.exit_code == 1
    assert english.output.startswith("error: nothing to add"), english.output


def test_the_locale_is_chosen_once_for_every_command(tmp_path: Path, sqlite_url: str) -> None:
    """Without a veille.toml (``tag``, ``match``, ``init`` need none) the CLI speaks French;
    with one, its ``locale`` holds even for a command that reads no setting; a configuration
    that does not load leaves French, and the command that needs it says why."""
    absent = tmp_path / "absent.toml"
    result = _run("-c", str(absent), "init", str(tmp_path / "new.toml"))
    assert result.exit_code == 0, result.output
    assert "Fichier écrit : " in result.output and "modifiez-le, puis lancez" in result.output
    english = _config(tmp_path, sqlite_url, "en")
    result = _run("-c", str(english), "init", str(tmp_path / "other.toml"))
    assert result.exit_code == 0, result.output
    assert "Wrote " in result.output and "edit it, then run veille db upgrade" in result.output
    broken = tmp_path / "broken.toml"
    broken.write_text('locale = "en"\n[institution\n', encoding="utf-8")
    result = _run("-c", str(broken), "users", "list")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("erreur : impossible de lire"), result.output
    assert active_locale() == "fr"


def test_the_database_refusal_is_said_in_the_interface_language() -> None:
    class Refused(Exception):
        sqlstate = "22021"

    exc = IntegrityError("INSERT INTO alumni VALUES (?)", ("Martin",), Refused())
    said = database_refusal(exc)
    assert said.startswith("la base de données a refusé les données (Refused, 22021)")
    assert "Martin" not in said and "INSERT" not in said
    set_locale("en")
    assert database_refusal(exc).startswith("the database refused the data (Refused, 22021)")


# --- the source check -------------------------------------------------------------------

#: Calls that put text on the screen, and the keyword arguments that are shown.
_SHOWN_ATTRS = {"print", "rule", "echo", "prompt", "confirm", "add_column", "add_row", "append"}
_SHOWN_KEYWORDS = {"title", "info", "description", "confirmation_prompt"}
_CATALOGUE = {"_", "gettext", "ngettext", "pgettext", "_N", "label"}
#: Calls whose literal arguments are not shown as prose: a style's default, JSON output.
_NOT_SHOWN_CALLS = {"get", "dumps"}
_MARKUP = re.compile(r"\[/?[a-z #._-]*\]")
#: Left in English on purpose: commands to type and technical names, not prose.
_VERBATIM = {
    "run.py": {"veille -c", "users add", "--role", "serve --dev", "veille demo"},
    "sentiment.py": {"macro-F1", "float32"},
    "web.py": {"http://"},
}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _prose(node: ast.AST) -> Iterator[str]:
    """Literal text under ``node`` that no catalogue call covers."""
    if isinstance(node, ast.Call):
        name = _name(node.func)
        if name in _CATALOGUE or name in _NOT_SHOWN_CALLS:
            return
        # styled(style, text): the style is a name, the text is shown
        for arg in node.args[1:] if name == "styled" else node.args:
            yield from _prose(arg)
        return
    if isinstance(node, ast.Subscript):  # meta["steps"]: a key, not text
        yield from _prose(node.value)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # a path: folder / "x.json"
        return
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mod)
        and isinstance(node.right, ast.Dict)
    ):
        # "message" % {"key": value}: the message is checked, the keys are placeholders
        # and literal values are what they are (a command, a setting's syntax)
        yield from _prose(node.left)
        for value in node.right.values:
            if not isinstance(value, ast.Constant):
                yield from _prose(value)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
        return
    if isinstance(node, ast.FormattedValue):
        yield from _prose(node.value)  # not the format spec (%d/%m/%Y)
        return
    for child in ast.iter_child_nodes(node):
        yield from _prose(child)


def _is_words(text: str) -> bool:
    return bool(re.search(r"[A-Za-zÀ-ÿ]{2,}", _MARKUP.sub("", text)))


def _untranslated(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = _VERBATIM.get(path.name, set())
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        shown: list[ast.expr] = []
        if (name in _SHOWN_ATTRS and isinstance(node.func, ast.Attribute)) or name == "Text":
            shown += node.args
        shown += [k.value for k in node.keywords if k.arg in _SHOWN_KEYWORDS]
        for arg in shown:
            for text in _prose(arg):
                words = _MARKUP.sub("", text).strip()
                if _is_words(text) and words not in allowed:
                    found.append(f"{path.name}:{node.lineno}: {text!r}")
    return found


def _catalogue_calls_in_fstrings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{call.lineno}"
        for joined in ast.walk(tree)
        if isinstance(joined, ast.JoinedStr)
        for call in ast.walk(joined)
        if isinstance(call, ast.Call) and _name(call.func) in _CATALOGUE - {"label"}
    ]


def _cli_modules() -> list[Path]:
    paths = sorted(CLI_DIR.glob("*.py"))
    assert len(paths) > 20 and CLI_DIR / "sources.py" in paths
    return paths


def test_no_cli_module_prints_prose_outside_the_catalogue() -> None:
    found = [line for path in _cli_modules() for line in _untranslated(path)]
    assert not found, "printed without the catalogue:\n" + "\n".join(found)


def test_no_catalogue_call_hides_in_an_fstring() -> None:
    found = [line for path in _cli_modules() for line in _catalogue_calls_in_fstrings(path)]
    assert not found, "Babel does not extract these (use styled() or a variable):\n" + "\n".join(
        found
    )


def test_the_source_check_sees_an_english_print(tmp_path: Path) -> None:
    """The two checks above fail on what they are meant to catch."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "console.print(f'imported {n} rows')\n"
        "table = Table(title='failing targets')\n"
        "table.add_column(_('Source'))\n"
        "console.print(_('%(n)s rows') % {'n': n})\n"
        "status_text.append(' (disabled)', style='dim')\n"
        "console.print(f\"[bold]{_('error:')}[/]\")\n",
        encoding="utf-8",
    )
    assert _untranslated(sample) == [
        "sample.py:1: 'imported '",
        "sample.py:1: ' rows'",
        "sample.py:2: 'failing targets'",
        "sample.py:5: ' (disabled)'",
    ]
    assert _catalogue_calls_in_fstrings(sample) == ["sample.py:6"]


def test_the_catalogue_check_extracts_the_cli_modules() -> None:
    """``tests/web/test_i18n.py`` extracts veille/, so an untranslated CLI message fails it."""
    from babel.messages.extract import extract_from_dir

    from tests.web.test_i18n import KEYWORDS, METHODS, OPTIONS

    found = {
        (filename, message)
        for filename, _lineno, message, *_rest in extract_from_dir(
            ROOT / "veille", METHODS, options_map=OPTIONS, keywords=KEYWORDS
        )
    }
    assert ("cli/sources.py", "Failing targets") in found
    assert ("cli/__init__.py", "error:") in found
    assert ("stages.py", "fetch new mentions and profiles") in found


def test_a_command_prints_no_english_log_lines_unless_verbose(tmp_path: Path) -> None:
    """``veille alumni import`` on a new database: its own French summary, and none of the
    log's INFO lines ("INFO store.db: upgrading database schema ..."), which a service
    (``veille schedule``, ``veille serve``) and ``--verbose`` keep. A real process: pytest's
    log capture would hide the root logger's level from a command run in this one."""
    import subprocess
    import sys

    csv = tmp_path / "alumni.csv"
    csv.write_text(HEADER + ROWS, encoding="utf-8")
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    base = [sys.executable, "-m", "veille", "-c", str(config)]
    env = {k: v for k, v in __import__("os").environ.items() if k != "DATABASE_URL"}

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *extra], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
        )

    quiet = run("alumni", "import", str(csv))
    assert quiet.returncode == 0, quiet.stderr
    assert "3 lignes lues : 3 fiches créées" in quiet.stdout
    assert " INFO " not in quiet.stderr and "store.db" not in quiet.stderr, quiet.stderr
    loud = run("--verbose", "alumni", "import", str(csv))
    assert loud.returncode == 0, loud.stderr
    assert " INFO " in loud.stderr or " DEBUG " in loud.stderr
