"""The one catalogue translates every message the UI, e-mails and reports can show.

Fails on: a ``_()``/``gettext`` message or a ``{% trans %}`` block in web/,
reports/ or veille/ (Python, the command line of veille/cli/ included, or a
Jinja2 template of the UI or the reports and e-mails) with no French translation;
an internal key shown through ``label()`` (sentiment, alert status and rule,
match field and level, job status, configured team, the command line's stage
states, opt-out kinds and blocking rules) with no entry in the French or the
English catalogue; a fuzzy or empty entry.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from veille.i18n import HUMANISED_KINDS, catalogue_path, label

ROOT = Path(__file__).resolve().parents[2]
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.j2", "jinja2"),
    ("**.py", "python"),
]
#: The templates are read as web/render.py and reports/render.py set Jinja2 up
#: (whitespace control, newstyle gettext: a literal % in a trans block is %%),
#: and a template Jinja2 cannot parse fails here rather than being skipped.
JINJA_OPTIONS = {
    "trim_blocks": "true",
    "lstrip_blocks": "true",
    "newstyle_gettext": "true",
    "silent": "false",
}
OPTIONS = {pattern: JINJA_OPTIONS for pattern, method in METHODS if method == "jinja2"}
#: ``_N`` marks a message translated later, when shown (menus, fallbacks of label tables).
KEYWORDS = {
    "_": None,
    "_N": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}


def _catalogue(locale: str = "fr") -> dict[tuple[str | None, str], str]:
    with catalogue_path(locale).open("rb") as fh:
        cat = read_po(fh, locale=locale)
    out: dict[tuple[str | None, str], str] = {}
    for m in cat:
        if not m.id:
            continue
        msgid = str(m.id[0] if isinstance(m.id, (tuple, list)) else m.id)
        string = m.string[0] if isinstance(m.string, (tuple, list)) else m.string
        out[(m.context, msgid)] = "" if m.fuzzy else str(string or "")
    return out


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_entry_is_translated(locale: str) -> None:
    missing = [k for k, v in _catalogue(locale).items() if not v]
    assert not missing, f"empty or fuzzy entries in the {locale} catalogue: {missing}"


#: Contexts that only tell French grammar apart ("tous"/"toutes", "Recherche"/"Rechercher"),
#: and the command line's help texts and value types (veille/cli/_help.py, whose msgids are
#: the English); English reads their msgids as they are.
GRAMMAR_CONTEXTS = frozenset({"masculine", "button", "cli-help", "cli-type"})


def test_english_catalogue_holds_only_labels() -> None:
    """English reads the msgids; its catalogue gives every internal key readable words."""
    en = _catalogue("en")
    assert en and all(context for context, _msgid in en)
    fr_labels = {k for k in _catalogue("fr") if k[0] and k[0] not in GRAMMAR_CONTEXTS}
    assert set(en) == fr_labels, sorted(set(en) ^ fr_labels)


def test_templates_are_extracted() -> None:
    """The extraction sees the template prose (a broken glob would pass everything)."""
    found = {
        (Path(folder) / filename).as_posix()
        for folder in ("web", "reports")
        for filename, *_rest in extract_from_dir(
            ROOT / folder, METHODS, options_map=OPTIONS, keywords=KEYWORDS
        )
    }
    assert "web/templates/base.html" in found
    assert "reports/templates/weekly.html.j2" in found
    assert "reports/templates/digest.txt.j2" in found


def test_every_extracted_message_is_in_the_catalogue() -> None:
    cat = _catalogue()
    missing = []
    folders = ("web", "reports", "veille", "store", "crawlers", "sentiment", "enrich/matching")
    for folder in (*folders, "enrich/evidence.py"):
        path = ROOT / folder
        found = (
            extract_from_dir(path, METHODS, options_map=OPTIONS, keywords=KEYWORDS)
            if path.is_dir()
            else extract_from_dir(path.parent, [(path.name, "python")], keywords=KEYWORDS)
        )
        for filename, lineno, message, _comments, context in found:
            msgid = message[0] if isinstance(message, tuple) else message
            if not cat.get((context, msgid)):
                missing.append(f"{folder}/{filename}:{lineno}: {msgid!r}")
    assert not missing, "untranslated messages:\n" + "\n".join(missing)


def _teams() -> set[str]:
    teams: set[str] = set()
    for toml in (ROOT / "veille/veille.example.toml", ROOT / "veille/demo/data/demo.toml"):
        if toml.exists():
            teams |= set(tomllib.loads(toml.read_text(encoding="utf-8")).get("teams", {}))
    return teams


def _keys() -> list[tuple[str, str]]:
    from enrich.matching import LEVELS
    from enrich.routing import FALLBACK_TEAM
    from store.alert_inbox import ALERT_STATUSES
    from store.labels import SENTIMENT_LABELS

    keys = [("sentiment", s) for s in SENTIMENT_LABELS]
    keys += [("alert_status", s) for s in ALERT_STATUSES]
    keys += [("rule", r) for r in ("volume_spike", "negative_share", "crisis_keywords")]
    keys += [("rule", "high_reach_negative")]
    keys += [("severity", s) for s in ("critical", "warning")]
    keys += [("match_field", f) for f in LEVELS]
    keys += [("match_level", lev) for levels in LEVELS.values() for lev in levels]
    keys += [("match_level", "missing")]
    from enrich.matching.blocking import BLOCKING_RULES
    from store.runs import FINAL_STATUSES
    from store.suppression import KINDS as OPTOUT_KINDS

    job_states = {"ok", "error", "running", "never_run", "late", *FINAL_STATUSES}
    keys += [("job_status", s) for s in sorted(job_states)]
    jobs = ("alerts", "digest", "nlp", "notices", "retention", "weekly_report", "match_retrain")
    keys += [("job", j) for j in jobs]
    # what the command line shows: pipeline stage states, opt-out kinds, blocking rules
    keys += [("stage_status", s) for s in ("ok", "skipped", "failed")]
    from veille.counts import COUNT, COUNT_KEYS, ROW_KEYS, ROWS

    keys += [(COUNT, k) for k in COUNT_KEYS]
    keys += [(ROWS, k) for k in ROW_KEYS]
    from veille.counts import STAGE
    from veille.stages import PIPELINE

    keys += [(STAGE, spec.name) for spec in PIPELINE]
    keys += [("optout_kind", k) for k in OPTOUT_KINDS]
    keys += [("blocking_rule", r) for r in BLOCKING_RULES]
    keys += [("team", t) for t in sorted(_teams() | {FALLBACK_TEAM})]
    from web import render

    for table in (
        render.FIELD_LABELS,
        render.SCOPE_LABELS,
        render.BAND_LABELS,
        render.ROLE_LABELS,
        render.ACTION_LABELS,
        render.SOURCE_STATUS_LABELS,
        render.SOURCE_KIND_LABELS,
        render.REJECT_REASON_LABELS,
        render.METHOD_LABELS,
    ):
        keys += [(table.kind, k) for k in table]
    suggestion_statuses = ("pending", "accepted", "rejected", "snoozed", "superseded", "reverted")
    keys += [("suggestion_status", s) for s in suggestion_statuses]
    return keys


@pytest.mark.parametrize(("kind", "key"), _keys())
def test_internal_keys_have_a_french_label(kind: str, key: str) -> None:
    assert (kind, key) in _catalogue(), f"no catalogue entry for {kind}:{key}"
    assert label(kind, key) != key


@pytest.mark.parametrize(("kind", "key"), _keys())
def test_internal_keys_have_an_english_label(kind: str, key: str) -> None:
    """English shows words, not ``student_services`` or ``jw>=0.88``."""
    assert (kind, key) in _catalogue("en"), f"no English catalogue entry for {kind}:{key}"
    text = label(kind, key, "en")
    assert text and "_" not in text and ">=" not in text, text
    assert text != label(kind, "no-such-key", "en") or kind in HUMANISED_KINDS, text


def test_unknown_enum_is_never_shown_raw() -> None:
    assert label("sentiment", "weird_value") == "valeur non reconnue"
    assert label("team", "career_center") == "Career center"  # configured by the site


def test_error_pages_are_in_the_catalogue() -> None:
    from web.app import ERROR_HINTS, ERROR_TITLES
    from web.messages import GENERIC

    cat = _catalogue()
    msgids = [*ERROR_TITLES.values(), *ERROR_HINTS.values(), "Error", GENERIC]
    missing = [m for m in msgids if not cat.get((None, m))]
    assert not missing, missing
