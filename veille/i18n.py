"""One translation catalogue (gettext, read with Babel) for the UI, e-mails and reports.

Why gettext: translators know the ``.po`` format, Babel extracts the
messages from Python and Jinja2 templates, and a test
(``tests/web/test_i18n.py``) fails on any message the catalogue does not
translate. The catalogue is the text file ``veille/locale/<lang>/LC_MESSAGES/veille.po``;
it is compiled in memory when first used, so no binary ``.mo`` is committed.

Internal keys (enum values, rule ids, statuses, teams) are shown through
:func:`label`, with the kind as gettext context (``pgettext``): the same key
(``negative``) can read differently as a sentiment or a test outcome.
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "veille"
DEFAULT_LOCALE = "fr"
#: The languages the UI, e-mails and reports can be read in (setting ``locale``).
LOCALES = ("fr", "en")

_active = DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    """Choose the language of this process (the ``locale`` setting: one site, one language)."""
    global _active
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}; expected one of {', '.join(LOCALES)}")
    _active = locale


def active_locale() -> str:
    return _active


def catalogue_path(locale: str | None = None) -> Path:
    return LOCALE_DIR / (locale or _active) / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(locale: str | None = None) -> NullTranslations:
    """The compiled catalogue of ``locale`` (English, the msgids, when there is none).

    English reads the msgids themselves; its catalogue holds only the internal
    keys shown through :func:`label` (``student_services`` reads "Student services").
    """
    return _compiled(locale or _active)


@functools.cache
def _compiled(locale: str) -> NullTranslations:
    path = catalogue_path(locale)
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def _N(message: str) -> str:
    """Marks a catalogue message translated later, when it is shown (Babel extracts ``_N``):
    label tables and reason tables are built at import, before a locale is chosen."""
    return message


def gettext(message: str, locale: str | None = None) -> str:
    return translations(locale).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int, locale: str | None = None) -> str:
    return translations(locale).ngettext(singular, plural, n)


def pgettext(context: str, message: str, locale: str | None = None) -> str:
    return str(translations(locale).pgettext(context, message))


def humanise(key: str) -> str:
    """A configured name with no entry in the catalogue (a team the site added)."""
    text = key.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def label(kind: str, key: object, locale: str | None = None) -> str:
    """An internal key as people read it: the catalogue's entry for (kind, key).

    A key the catalogue does not know is never shown raw when it is an
    internal enum: it reads "unknown value"; team names, which a site
    configures, are humanised instead.
    """
    if key is None or key == "":
        return ""
    text = str(key)
    if has_entry(kind, text, locale):
        return pgettext(kind, text, locale)
    if kind in HUMANISED_KINDS:
        return humanise(text)
    return pgettext("value", "unknown value", locale)


def has_entry(context: str, message: str, locale: str | None = None) -> bool:
    """Whether the catalogue has (context, message), even one that reads the same
    (English "negative", French "Mastodon")."""
    catalog = getattr(translations(locale), "_catalog", {})
    return f"{context}\x04{message}" in catalog


#: Kinds whose keys come from the site's configuration, not from the code.
HUMANISED_KINDS = frozenset({"team", "institution", "platform"})


@functools.cache
def _translated_texts(locale: str) -> frozenset[str]:
    catalog = getattr(_compiled(locale), "_catalog", {})
    texts = {v for v in catalog.values() if isinstance(v, str)}
    if locale != DEFAULT_LOCALE:
        # English reads the msgids of the reference (French) catalogue as they are.
        reference = getattr(_compiled(DEFAULT_LOCALE), "_catalog", {})
        texts |= {k for k in reference if isinstance(k, str) and "\x04" not in k}
    return frozenset(texts)


def is_translated(text: str, locale: str | None = None) -> bool:
    """True when ``text`` is already a translation from the catalogue (safe to show)."""
    return text in _translated_texts(locale or _active)


def install_jinja(env: Environment) -> None:
    """Template prose through the same catalogue: ``{% trans %}`` blocks and ``_()`` calls.

    Newstyle gettext formats the placeholders itself (``_("%(n)s posts", n=3)``),
    so a variable is autoescaped while the catalogue's text is trusted like the
    template's own; ``lang()`` gives ``<html lang>``. The callables read the
    active locale when called, so one environment serves whichever is set.
    """
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext
    )
    env.globals["lang"] = active_locale
