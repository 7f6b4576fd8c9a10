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

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "veille"
DEFAULT_LOCALE = "fr"


def catalogue_path(locale: str = DEFAULT_LOCALE) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(locale: str = DEFAULT_LOCALE) -> NullTranslations:
    """The compiled catalogue of ``locale`` (English, the msgids, when there is none)."""
    path = catalogue_path(locale)
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def gettext(message: str, locale: str = DEFAULT_LOCALE) -> str:
    return translations(locale).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int, locale: str = DEFAULT_LOCALE) -> str:
    return translations(locale).ngettext(singular, plural, n)


def pgettext(context: str, message: str, locale: str = DEFAULT_LOCALE) -> str:
    return str(translations(locale).pgettext(context, message))


def humanise(key: str) -> str:
    """A configured name with no entry in the catalogue (a team the site added)."""
    text = key.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def label(kind: str, key: object, locale: str = DEFAULT_LOCALE) -> str:
    """An internal key as people read it: the catalogue's entry for (kind, key).

    A key the catalogue does not know is never shown raw when it is an
    internal enum: it reads "unknown value"; team names, which a site
    configures, are humanised instead.
    """
    if key is None or key == "":
        return ""
    text = str(key)
    out = pgettext(kind, text, locale)
    if out != text or locale == "en":
        return out
    if kind in HUMANISED_KINDS:
        return humanise(text)
    return pgettext("value", "unknown value", locale)


#: Kinds whose keys come from the site's configuration, not from the code.
HUMANISED_KINDS = frozenset({"team", "institution", "platform"})


@functools.cache
def _translated_texts(locale: str) -> frozenset[str]:
    catalog = getattr(translations(locale), "_catalog", {})
    return frozenset(v for v in catalog.values() if isinstance(v, str))


def is_translated(text: str, locale: str = DEFAULT_LOCALE) -> bool:
    """True when ``text`` is already a translation from the catalogue (safe to show)."""
    return text in _translated_texts(locale)
