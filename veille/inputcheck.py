"""Checks every imported value passes before it goes anywhere near the database.

Files from outside (alumni CSV, LinkedIn exports, JSON Lines) are untrusted:
a NUL byte that SQLite stores and PostgreSQL refuses, a control character
that breaks a terminal or a spreadsheet, an id longer than its column. Each
check returns a *description of the problem without the value*, because
the value is usually personal data and error messages end up in logs,
terminals and tickets.
"""

from __future__ import annotations

import re

from veille.i18n import _

#: NUL, the C0 controls (except tab, line feed, carriage return), DEL and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Line breaks and tabs: fine in a postal address, never in an id, a name or an e-mail.
_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]")
#: Unicode non-characters (U+FFFE, U+FFFF...) that no real text contains.
_NONCHAR = re.compile(r"[\ufffe\uffff\ufdd0-\ufdef]")


def problem(value: str, *, max_length: int, multiline: bool = False) -> str | None:
    """What is wrong with ``value`` (without quoting it), or None when it is acceptable."""
    if "\x00" in value:
        return _("contains a NUL byte")
    match = _CONTROL.search(value)
    if match:
        return _("contains a control character (U+%(code)s)") % {
            "code": f"{ord(match.group()):04X}"
        }
    if not multiline and _BREAKS.search(value):
        return _("contains a line break or a tab")
    if _NONCHAR.search(value):
        return _("contains a Unicode non-character")
    if len(value) > max_length:
        return _("is %(length)s characters long (at most %(max)s)") % {
            "length": len(value),
            "max": max_length,
        }
    return None


def describe_header(name: str) -> str:
    """A column name fit for an error message: bounded, control characters shown as ``?``."""
    shown = _CONTROL.sub("?", _BREAKS.sub(" ", name))[:40]
    return repr(shown + ("…" if len(name) > 40 else ""))


def decode_utf8(data: bytes, *, what: str) -> str:
    """``data`` as text (UTF-8, BOM allowed) or a :class:`ImportFileError` naming the line."""
    from veille.errors import ImportFileError

    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "%(what)s is not UTF-8 (byte 0x%(byte)s); re-save it as UTF-8 "
                "(in Excel: 'CSV UTF-8 (comma delimited)')"
            )
            % {"what": what, "byte": f"{data[exc.start]:02X}"},
            line=line,
        ) from None
