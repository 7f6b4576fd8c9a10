"""The web shows an error's own message only where every raise of its class is translated.

:func:`web.messages.error_message` shows the message of an error whose class says
``translated = True`` as it is (the store's, the reports', the links'), and a generic
sentence for any other: this test reads every raise site of those classes in the
repository and fails on one whose message does not come from the catalogue (``_()``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import reports.brand
import reports.mail
import reports.weekly
import store.alert_inbox
import store.labels
import store.person
import store.review
import store.users
import web.links
from veille.errors import ConfigError, VeilleError
from veille.i18n import _, gettext, set_locale
from web.messages import GENERIC, error_message

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("store", "reports", "web", "crawlers", "sentiment", "enrich", "veille")
MODULES = (reports.brand, reports.mail, reports.weekly, store.alert_inbox, store.labels)
MODULES += (store.person, store.review, store.users, web.links)


def _subclasses(cls: type[VeilleError]) -> set[type[VeilleError]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _translated_names() -> set[str]:
    assert MODULES  # imported for their classes
    return {c.__name__ for c in _subclasses(VeilleError) if c.translated}


def _from_catalogue(node: ast.expr) -> bool:
    """``_("...")`` or ``_("... %(x)s") % {...}``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        node = node.left
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("_", "gettext", "ngettext")
    )


def test_the_translated_classes_are_known() -> None:
    names = _translated_names()
    assert {"ReviewError", "NotFoundError", "AlertError", "UserError", "LinkError"} <= names
    assert "ConfigError" not in names and "ModelUnavailableError" not in names


def test_every_raise_of_a_translated_class_goes_through_the_catalogue() -> None:
    names = _translated_names()
    untranslated = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                    continue
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in names and not (node.exc.args and _from_catalogue(node.exc.args[0])):
                    untranslated.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert not untranslated, "\n".join(untranslated)


@pytest.fixture
def _french() -> Iterator[None]:
    set_locale("fr")
    yield
    set_locale("fr")


@pytest.mark.usefixtures("_french")
def test_a_translated_error_is_shown_as_raised_as_a_sentence() -> None:
    def refusal() -> store.review.ReviewError:
        return store.review.ReviewError(_("snooze between 1 and 365 days"))

    assert error_message(refusal()) == "Reportez de 1 à 365 jours"
    set_locale("en")
    assert error_message(refusal()) == "Snooze between 1 and 365 days"


@pytest.mark.usefixtures("_french")
def test_any_other_error_reads_as_the_generic_sentence() -> None:
    generic = gettext(GENERIC, "fr")
    assert generic != GENERIC
    assert error_message(ConfigError("set VEILLE_SECRET_KEY")) == generic
    assert error_message(VeilleError("internal words")) == generic
