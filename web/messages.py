"""What a flash or an error page says for a refused action: the error's own message.

The store's, the reports' and the links' errors are raised through the one
catalogue (``_()``, in the interface's language; their classes say
``translated = True``), so the UI shows them as they are: one sentence for the
command line and the web. An error not known to be translated (a model's, a
crawler's, a bug's own words) reads as a generic sentence, never as English.
"""

from __future__ import annotations

from fastapi import HTTPException

from veille.errors import VeilleError
from veille.i18n import gettext as _

GENERIC = "This action could not be done; reload the page and try again."


def error_message(exc: VeilleError) -> str:
    """What a flash or an error page says for ``exc``, in the interface's language."""
    if exc.fr:
        return exc.fr
    if exc.translated:
        text = str(exc)  # written for the command line too: a flash starts a sentence
        return text[:1].upper() + text[1:]
    return _(GENERIC)


class RefusedError(HTTPException):
    """An HTTP error whose detail is ``exc``'s message as :func:`error_message` gives it.

    Why: the error page hides details it cannot tell are written for people (an English
    "Not Found" from the framework), so "Aucun alumnus 'X'" read as the generic "Cette page
    n'existe pas". A detail raised this way is known to be the user's language and is shown.
    """

    def __init__(self, status_code: int, exc: VeilleError) -> None:
        super().__init__(status_code=status_code, detail=error_message(exc))
        self.shown = bool(exc.fr or exc.translated)
