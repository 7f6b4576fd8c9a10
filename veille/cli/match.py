"""`veille match`: link a profiles file to an alumni file, offline, with evidence.

Both files use the alumni-import columns (any subset); the output lists every
(alumnus, profile) pair at or above the probability threshold, each profile at
most once, with the per-field evidence as JSON so the alumni office can check
why two records were linked. An alumnus may have any number of profiles (an
ORCID record, a staff page, a LinkedIn line...): linking each alumnus once
would throw the others away. ``--one-per-alumnus`` restores one-to-one for
files known to hold one record per person. No configuration or database is
needed.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from veille.cli._common import console
from veille.csvsafe import write_rows
from veille.errors import ImportFileError, OptionError
from veille.i18n import gettext as _
from veille.i18n import label, ngettext
from veille.inputcheck import decode_utf8, problem

if TYPE_CHECKING:
    import pandas as pd

OUTPUT_COLUMNS = ("alumni_id", "profile_id", "probability", "evidence")
#: Longest accepted cell (generous: matching input is messy, but never unbounded).
MAX_CELL = 2000


def _record_lines(text: str, sep: str, name: str) -> list[int]:
    """Check every cell at the door; return the line each non-blank record starts on.

    Messages name the file, the line and the field number, never a value.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    starts: list[int] = []
    previous = 0
    try:
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            for n, cell in enumerate(cells, 1):
                trouble = problem(cell, max_length=MAX_CELL, multiline=True)
                if trouble:
                    raise ImportFileError(
                        _("%(file)s: field %(n)s %(problem)s")
                        % {"file": name, "n": n, "problem": trouble},
                        line=start,
                    )
            if cells:
                starts.append(start)
    except csv.Error as exc:
        raise ImportFileError(
            _("%(file)s: malformed CSV (%(error)s)") % {"file": name, "error": exc},
            line=reader.line_num,
        ) from None
    return starts


def read_people_csv(path: Path) -> pd.DataFrame:
    """Read a ``,`` or ``;`` delimited UTF-8 file (BOM or not) as strings."""
    import pandas as pd  # only this command needs it; keep `veille` start-up light

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(
            _("cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    text = decode_utf8(raw, what=path.name)
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    lines = _record_lines(text, sep, path.name)
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportFileError(f"{path}: {exc}") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    from enrich.matching import COLUMN_ALIASES, COLUMNS

    # "birthplace", "occupation"...: other spellings of the matcher's columns
    df = df.rename(
        columns={k: v for k, v in COLUMN_ALIASES.items() if k in df.columns and v not in df.columns}
    )
    known = [c for c in df.columns if c in COLUMNS]
    if not [c for c in known if c != "id"]:
        raise ImportFileError(
            _("%(path)s has none of the alumni-import columns (%(columns)s); check the header line")
            % {"path": path, "columns": ", ".join(COLUMNS)}
        )
    if "id" in df.columns:
        dupes = df["id"][df["id"].duplicated() & (df["id"] != "")]
        if len(dupes):
            row = df.index.get_loc(dupes.index[0])
            line = lines[row + 1] if row + 1 < len(lines) else None
            raise ImportFileError(
                _("%(file)s: this id is already used above; ids must be unique")
                % {"file": path.name},
                line=line,
            )
    return df[known]


match_app = typer.Typer(
    invoke_without_command=True,
    help="Link a profiles file to an alumni file (offline), or retrain the stored model.",
)


@match_app.callback()
def match(
    ctx: typer.Context,
    alumni: Path | None = typer.Option(
        None, "--alumni", help="Alumni CSV (alumni-import columns)."
    ),
    profiles: Path | None = typer.Option(None, "--profiles", help="Profiles CSV (same columns)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Where to write links.csv."),
    threshold: float = typer.Option(0.5, "--threshold", help="Minimum match probability."),
    model_path: Path | None = typer.Option(
        None, "--model", help="Re-use this trained model (JSON) instead of training."
    ),
    save_model: Path | None = typer.Option(
        None, "--save-model", help="Write the trained model (JSON) here."
    ),
    alumni_unique: bool = typer.Option(
        False,
        "--one-per-alumnus/--many-per-alumnus",
        "--alumni-unique",
        help="Link each alumnus at most once too (default: an alumnus may have many "
        "profiles; each profile is always linked at most once).",
    ),
) -> None:
    """Link profiles to alumni with a probability and per-field evidence."""
    if ctx.invoked_subcommand is not None:
        return
    if alumni is None or profiles is None or output is None:
        raise OptionError(_("--alumni, --profiles and --output are all required"))
    from enrich.matching import FSModel, MatchStats, match_frames

    a_df = read_people_csv(alumni)
    p_df = read_people_csv(profiles)
    model = None
    if model_path is not None:
        try:
            model = FSModel.load(model_path)
        except (OSError, ValueError, KeyError) as exc:
            raise ImportFileError(
                _("cannot use model %(path)s: %(error)s") % {"path": model_path, "error": exc}
            ) from exc
    stats = MatchStats()
    links, model = match_frames(
        a_df, p_df, model=model, threshold=threshold, alumni_unique=alumni_unique, stats=stats
    )
    if save_model is not None:
        model.save(save_model)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as fh:
        write_rows(
            fh,
            OUTPUT_COLUMNS,
            (
                [
                    lk.alumni_id,
                    lk.profile_id,
                    f"{lk.probability:.6f}",
                    json.dumps(lk.evidence, ensure_ascii=False, sort_keys=True),
                ]
                for lk in links
            ),
        )
    per_rule = ", ".join(
        _("%(key)s: %(value)s") % {"key": label("blocking_rule", rule), "value": n}
        for rule, n in stats.rule_counts.items()
        if rule != "total"
    )
    console.print(
        escape(
            _("Candidate pairs per blocking rule: %(rules)s; total %(total)s.")
            % {"rules": per_rule or _("none"), "total": stats.rule_counts.get("total", 0)}
        ),
        highlight=False,
    )
    console.print(
        _("%(links)s from %(profiles)s and %(alumni)s, written to %(path)s.")
        % {
            "links": ngettext("%(n)s link", "%(n)s links", len(links)) % {"n": len(links)},
            "profiles": ngettext("%(n)s profile", "%(n)s profiles", len(p_df)) % {"n": len(p_df)},
            "alumni": ngettext("%(n)s alumni record", "%(n)s alumni records", len(a_df))
            % {"n": len(a_df)},
            "path": f"[bold]{escape(str(output))}[/]",
        },
        highlight=False,
    )


@match_app.command("retrain")
def retrain_cmd() -> None:
    """Train a new matching model on the database's alumni and profiles, for every host.

    The model is a database row: the scheduler's standby and every other host
    use it from their next run, and a backup of the database contains it.
    Links already made are kept.
    """
    from enrich.matching import retrain
    from veille.cli._common import db_url
    from veille.errors import VeilleError

    try:
        model_id, model = retrain(db_url(), trained_by="veille match retrain")
    except ValueError as exc:
        raise VeilleError(
            _("cannot retrain the matching model: %(error)s") % {"error": exc}
        ) from None
    pairs = int(model.trained.get("pairs", 0))
    console.print(
        escape(
            ngettext(
                "Matching model %(id)s (%(version)s) trained on %(n)s candidate pair; "
                "in use from the next run.",
                "Matching model %(id)s (%(version)s) trained on %(n)s candidate pairs; "
                "in use from the next run.",
                pairs,
            )
            % {"id": model_id, "version": model.version, "n": pairs}
        ),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(match_app, name="match")
