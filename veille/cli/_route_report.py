"""What ``veille route eval`` and ``veille route validate-bf16`` print, in the user's language.

Why a module of its own: the benchmark prints the same scores for developers, in English and
with the teams' keys (:func:`enrich.routing_scores.format_scores`); an alumni or IT office
reading the command's output sees team names, languages and numbers as the web UI writes
them ("Vie étudiante", "français", "91,9 %"), never ``student_``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from reports.render import fmt_int, fmt_number, fmt_pct
from veille.cli._common import console, print_table
from veille.i18n import gettext as _
from veille.i18n import label, ngettext

if TYPE_CHECKING:
    from enrich.routing_bf16 import PathReading
    from enrich.routing_scores import Scores


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False)


def print_scores(s: Scores) -> None:
    """Accuracy, macro-F1 and triage count, accuracy per language, one confusion matrix each."""
    _say(
        ngettext(
            "%(n)s line: accuracy %(accuracy)s, macro-F1 %(f1)s, to triage: %(triage)s",
            "%(n)s lines: accuracy %(accuracy)s, macro-F1 %(f1)s, to triage: %(triage)s",
            s.n,
        )
        % {
            "n": fmt_int(s.n),
            "accuracy": fmt_pct(s.accuracy),
            "f1": fmt_number(s.macro_f1, 3),
            "triage": fmt_int(s.triage),
        }
    )
    for lang, (n, acc) in s.by_lang.items():
        _say(
            "  "
            + ngettext(
                "%(lang)s: %(n)s line, accuracy %(accuracy)s",
                "%(lang)s: %(n)s lines, accuracy %(accuracy)s",
                n,
            )
            % {"lang": label("lang", lang), "n": fmt_int(n), "accuracy": fmt_pct(acc)}
        )
    for lang, matrix in s.confusion.items():
        if not matrix.sum():
            continue
        which = _("all languages") if lang == "all" else label("lang", lang)
        # Columns are numbered like the rows: seven team names side by side do not fit a terminal.
        table = Table(
            title=_("Confusion (%(lang)s): rows are the expected team, columns the team routed to")
            % {"lang": which},
            title_justify="left",
        )
        table.add_column(_("Expected team"))
        for i in range(len(s.labels)):
            table.add_column(str(i + 1), justify="right")
        for i, (team, row) in enumerate(zip(s.labels, matrix, strict=True)):
            if row.sum():
                table.add_row(f"{i + 1}. {label('team', team)}", *(fmt_int(v) for v in row))
        print_table(table)


def reading_line(r: PathReading) -> str:
    """One labelled file (or all of them) read through the int8 and the bfloat16 encoder."""
    langs = ", ".join(
        _("%(lang)s %(n)s: %(int8)s / %(bf16)s")
        % {
            "lang": label("lang", lang),
            "n": fmt_int(k),
            "int8": fmt_pct(a, 2),
            "bf16": fmt_pct(b, 2),
        }
        for lang, (k, a, b) in r.by_lang.items()
    )
    return ngettext(
        "%(name)s: %(n)s line, accuracy int8 %(int8)s, bfloat16 %(bf16)s, agreement "
        "%(agreement)s (%(langs)s)",
        "%(name)s: %(n)s lines, accuracy int8 %(int8)s, bfloat16 %(bf16)s, agreement "
        "%(agreement)s (%(langs)s)",
        r.lines,
    ) % {
        "name": _("all files") if r.name == "all" else r.name,
        "n": fmt_int(r.lines),
        "int8": fmt_pct(r.int8, 2),
        "bf16": fmt_pct(r.bf16, 2),
        "agreement": fmt_pct(r.agreement, 2),
        "langs": langs,
    }


def print_reading(r: PathReading) -> None:
    _say(reading_line(r))
