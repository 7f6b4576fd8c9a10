"""``--help`` and click's usage errors speak the interface's language (veille/cli/_help.py).

Every help text of the command tree is a msgid of the one catalogue (context ``cli-help``)
with a French translation, and every command's help, rendered by typer as a user sees it,
is French by default, English with ``locale = "en"``, and never shows a Python type name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from veille.cli import app
from veille.cli._common import state
from veille.cli._help import HELP_CONTEXT, translate_error
from veille.i18n import catalogue_path, set_locale

#: Help texts that read the same in French (values typed as they are).
SAME_IN_FRENCH = {"html | pdf | csv", "auto | torch | onnx."}


@pytest.fixture(autouse=True)
def _french_afterwards(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("VEILLE_CONFIG", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no ./veille.toml here
    state._settings = None
    yield
    state._settings = None
    set_locale("fr")


def _tree() -> list[tuple[list[str], Any]]:
    """(command path, click command) for every command of ``veille``."""
    out: list[tuple[list[str], Any]] = []

    def walk(path: list[str], command: Any) -> None:
        out.append((path, command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk([*path, name], sub)

    walk([], typer.main.get_command(app))
    return out


def _msgids() -> set[str]:
    texts: set[str] = {"Show this message and exit."}
    for _path, command in _tree():
        texts |= {t for t in (command.help, command.short_help, command.epilog) if t}
        texts |= {p.help for p in command.params if getattr(p, "help", None)}
    return texts


def _french_help() -> dict[str, str]:
    with catalogue_path("fr").open("rb") as fh:
        cat = read_po(fh, locale="fr")
    return {str(m.id): str(m.string) for m in cat if m.context == HELP_CONTEXT and m.id}


def test_every_help_text_has_a_french_translation_and_none_is_stale() -> None:
    french = _french_help()
    msgids = _msgids()
    missing = sorted(msgids - french.keys())
    assert not missing, f"add these to veille/locale/fr (msgctxt {HELP_CONTEXT!r}): {missing}"
    stale = sorted(french.keys() - msgids)
    assert not stale, f"help texts no command has any more: {stale}"
    untranslated = sorted(m for m in msgids if french[m] == m and m not in SAME_IN_FRENCH)
    assert not untranslated


def _help(*path: str, config: Path | None = None) -> str:
    args = (["-c", str(config)] if config else []) + [*path, "--help"]
    state._settings = None
    result = CliRunner().invoke(app, args, env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_help_reads_french_without_python_types() -> None:
    for path, _command in _tree():
        out = _help(*path)
        assert "Utilisation :" in out and "Usage:" not in out, (path, out)
        assert "Show this message" not in out and "Afficher cette aide" in out, path
        for english in ("[required]", "[default:", "[env var:", "╭─ Commands", "list[", "<str>"):
            assert english not in out, (path, english)
    top = _help()
    assert "╭─ Commandes" in top and "Veille des réseaux sociaux" in top
    route = _help("tag", "route")
    assert "Attribuer chaque mention à une équipe" in route and "[obligatoire]" in route
    assert "<chemin>" in route


def test_help_follows_an_english_locale(tmp_path: Path, sqlite_url: str) -> None:
    config = tmp_path / "veille.toml"
    config.write_text(
        f'locale = "en"\ndatabase_url = "{sqlite_url}"\n'
        '[institution]\nslug = "u"\nname = "University U"\n',
        encoding="utf-8",
    )
    out = _help("tag", "route", config=config)
    assert "Usage: " in out and "Route each mention to a team" in out and "[required]" in out
    assert "<path>" in out
    # the next invocation reads its own configuration again: French by default
    assert "Utilisation :" in _help("tag", "route")


def test_usage_errors_read_french() -> None:
    state._settings = None
    missing = CliRunner().invoke(app, ["tag", "route"])
    assert missing.exit_code == 2
    assert "Option manquante : '--input' / '-i'." in missing.output
    assert "Erreur" in missing.output and "Aide : 'veille tag route --help'" in missing.output
    unknown = CliRunner().invoke(app, ["nope"])
    assert unknown.exit_code == 2 and "Commande inconnue : 'nope'." in unknown.output
    assert "Option inconnue : --nope" in CliRunner().invoke(app, ["jobs", "--nope"]).output


def test_an_unknown_click_message_is_left_as_it_is() -> None:
    set_locale("fr")
    assert translate_error("Something click adds one day.") == "Something click adds one day."
    assert translate_error("Got unexpected extra argument (x)") == "Argument(s) en trop : x"
