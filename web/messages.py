"""Errors from the store, said in French: each known English message maps to a catalogue entry.

Why a table: the store's messages are written for the CLI and logs
(English, with ids); the UI must not show them raw. A message that is not
in the table reads as a generic French sentence, never as English.
"""

from __future__ import annotations

import re

from veille.errors import VeilleError
from veille.i18n import gettext as _

#: (pattern of the store's message, catalogue msgid). Named groups fill the msgid.
KNOWN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), m)
    for p, m in (
        (r"was already decided", "This suggestion was already decided; reload the page."),
        (r"is already (?P<status>\w+)$", "This suggestion was already handled."),
        (r"^the value is empty", "The value is empty; reject the suggestion instead."),
        (r"^the value is longer than", "The value is too long (500 characters at most)."),
        (r"control characters", "The value contains control characters; retype it."),
        (r"is not an e-mail address", "This is not an e-mail address."),
        (r"profile URL must start with https", "A profile address must start with https://."),
        (r"opted out", "This alumnus opted out: their record is no longer enriched."),
        (r"cannot be changed by a suggestion", "This field cannot be changed by a suggestion."),
        (r"^snooze between", "Snooze between 1 and 365 days."),
        (r"cannot be undone", "This change cannot be undone."),
        (r"changed since this event", "This field changed since; undo the later change first."),
        (r"e-mail list is unreadable", "The recorded e-mail list is unreadable; fix it by hand."),
        (r"^no (suggestion|alumnus|audit event|alert|mention)", "This record does not exist."),
        (r"^unknown team", "Unknown team: choose one of the list."),
        (r"is not an active account that handles alerts", "Choose a person from the list."),
        (r"^the note is \d+ characters long", "The note is too long (2,000 characters at most)."),
        (r"^unknown sentiment label", "Unknown sentiment: choose positive, neutral or negative."),
        (r"^unknown band", "unknown band"),
    )
)
GENERIC = "This action could not be done; reload the page and try again."


def error_message(exc: VeilleError) -> str:
    """What a flash or an error page says for ``exc``: French, from the catalogue."""
    if exc.fr:
        return exc.fr
    text = str(exc)
    for pattern, msgid in KNOWN:
        if pattern.search(text):
            return _(msgid)
    return _(GENERIC)
