"""``--help`` and usage errors in the interface's language, through the one catalogue.

Why here and not where the commands are declared: typer reads help texts when the commands
are registered, at import, before any configuration says which language to use. So the
command tree keeps its English texts, which are the catalogue's msgids (context
``cli-help``), and they are put in the language of the invocation when typer prints help
or a usage error. typer draws both with ``typer.rich_utils`` (``rich_format_help``,
``rich_format_error``), whose fixed words ("Options", "[required]", "Try ... for help") are
module constants read at print time: :func:`install` wraps those two functions once.
Click's own error messages ("Missing option '--input' / '-i'.") are built in English
inside the library; :data:`_ERRORS` rewrites the ones a user meets, and leaves any other
as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from veille.i18n import gettext as _
from veille.i18n import pgettext

#: The catalogue context of the command tree's help texts (their msgids are the English).
HELP_CONTEXT = "cli-help"
_MSGID = "_veille_msgid_"


def _in_language(obj: Any, attr: str) -> None:
    """Set ``obj.<attr>`` from its English msgid (kept on the object the first time)."""
    store = _MSGID + attr
    if not hasattr(obj, store):
        setattr(obj, store, getattr(obj, attr, None))
    msgid = getattr(obj, store)
    if msgid:
        setattr(obj, attr, pgettext(HELP_CONTEXT, msgid))


def translate_command(command: Any, ctx: Any) -> None:
    """The help texts of ``command``, its parameters and its subcommands' one-liners."""
    for attr in ("help", "short_help", "epilog"):
        _in_language(command, attr)
    for param in command.get_params(ctx):
        _in_language(param, "help")
        _reworded(param, "display_type_rich", _type_word)
    for name in getattr(command, "list_commands", lambda _ctx: [])(ctx):
        sub = command.get_command(ctx, name)
        if sub is not None:
            _in_language(sub, "help")
            _in_language(sub, "short_help")
    _reworded(command, "get_usage", _usage_line)


def _reworded(obj: Any, method: str, reword: Callable[[Any], Any]) -> None:
    """Have ``obj.<method>(...)`` return its result through ``reword`` (once per object)."""
    store = _MSGID + method
    if hasattr(obj, store):
        return
    plain = getattr(obj, method)
    setattr(obj, store, plain)
    setattr(obj, method, lambda *args, **kwargs: reword(plain(*args, **kwargs)))


#: typer's value types (Python's names: ``<list[Path]>``) -> the catalogue's word (context
#: ``cli-type``) and whether the option repeats; a flag shows no type.
_TYPES: dict[str, tuple[str | None, bool]] = {
    "<bool>": (None, False),
    "<str>": ("text", False),
    "<path>": ("path", False),
    "<file>": ("file", False),
    "<int>": ("integer", False),
    "<int range>": ("integer", False),
    "<float>": ("number", False),
    "<list[str]>": ("text", True),
    "<list[Path]>": ("path", True),
}


def _type_word(shown: str | None) -> str | None:
    if shown not in _TYPES:
        return shown
    word, repeats = _TYPES[shown]
    if word is None:
        return None
    shown_word = pgettext("cli-type", word)
    return "<" + shown_word + ">" + ("…" if repeats else "")


def _usage_line(line: str) -> str:
    english = "Usage: "
    return _("Usage:") + " " + line[len(english) :] if line.startswith(english) else line


def _fixed_words(rich_utils: Any) -> None:
    """typer's fixed words, read by its help and error printers at print time."""
    rich_utils.DEPRECATED_STRING = _("(deprecated)") + " "
    rich_utils.DEFAULT_STRING = _("[default: {}]")
    rich_utils.ENVVAR_STRING = _("[env var: {}]")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")
    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.ERRORS_PANEL_TITLE = _("Error")
    rich_utils.ABORTED_TEXT = _("Aborted.")
    rich_utils.RICH_HELP = _("Try [blue]'{command_path} {help_option}'[/] for help.")


#: Click's English error messages a user meets -> the catalogue's sentence for them.
_ERRORS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"Missing option (?P<name>.+?)\.(?P<rest>.*)", re.S),
        lambda m: _("Missing option %(name)s.") % {"name": m["name"]} + m["rest"],
    ),
    (
        re.compile(r"Missing argument (?P<name>.+?)\.(?P<rest>.*)", re.S),
        lambda m: _("Missing argument %(name)s.") % {"name": m["name"]} + m["rest"],
    ),
    (
        re.compile(r"No such option: (?P<name>\S+)(?: \(Possible options: (?P<like>.+)\))?"),
        lambda m: (
            _("No such option: %(name)s") % {"name": m["name"]}
            + (" " + _("(did you mean %(options)s?)") % {"options": m["like"]} if m["like"] else "")
        ),
    ),
    (
        re.compile(r"No such command (?P<name>.+)\."),
        lambda m: _("No such command %(name)s.") % {"name": m["name"]},
    ),
    (
        re.compile(r"Got unexpected extra arguments? \((?P<args>.*)\)"),
        lambda m: _("Unexpected extra argument(s): %(args)s") % {"args": m["args"]},
    ),
    (
        re.compile(r"Invalid value for (?P<name>.+?): (?P<why>.*)", re.S),
        lambda m: _("Invalid value for %(name)s: %(why)s") % {"name": m["name"], "why": m["why"]},
    ),
]


def translate_error(message: str) -> str:
    """A click usage error's message in the interface's language (unknown ones unchanged)."""
    for pattern, sentence in _ERRORS:
        match = pattern.fullmatch(message)
        if match:
            return sentence(match)
    return message


def _root_locale(ctx: Any) -> None:
    """The root's own ``--help`` and errors come before its callback chose the language."""
    if ctx is not None and ctx.parent is None:
        from veille.cli._common import state

        # ``-c`` when click parsed it before the eager ``--help``; else $VEILLE_CONFIG or
        # ./veille.toml, as the callback would read them (never a previous invocation's).
        state.config_path = ctx.params.get("config")
        state.choose_locale()


def install() -> None:
    """Wrap typer's help and error printers once (idempotent)."""
    from typer import rich_utils

    if getattr(rich_utils, _MSGID + "installed", False):
        return
    format_help = rich_utils.rich_format_help
    format_error = rich_utils.rich_format_error

    def help_in_language(*, obj: Any, ctx: Any, markup_mode: Any) -> None:
        _root_locale(ctx)
        _fixed_words(rich_utils)
        translate_command(obj, ctx)
        format_help(obj=obj, ctx=ctx, markup_mode=markup_mode)

    def error_in_language(self: Any) -> None:
        ctx = getattr(self, "ctx", None)
        _root_locale(ctx)
        _fixed_words(rich_utils)
        if ctx is not None:
            translate_command(ctx.command, ctx)
        english = self.format_message()
        self.format_message = lambda: translate_error(english)
        format_error(self)

    rich_utils.rich_format_help = help_in_language
    rich_utils.rich_format_error = error_in_language
    setattr(rich_utils, _MSGID + "installed", True)
