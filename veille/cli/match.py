"""`veille match`: link a profiles file to an alumni file, offline, with evidence.

Both files use the alumni-import columns (any subset); the output lists every
(alumnus, profile) pair at or above the probability threshold, each profile at
most once, with the per-field evidence as JSON so the alumni office can check
why two records were linked. No configuration or database is needed.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from veille.cli._common import console
from veille.csvsafe import write_rows
from veille.errors import ImportFileError

if TYPE_CHECKING:
    import pandas as pd

OUTPUT_COLUMNS = ("alumni_id", "profile_id", "probability", "evidence")


def read_people_csv(path: Path) -> pd.DataFrame:
    """Read a ``,`` or ``;`` delimited UTF-8 file (BOM or not) as strings."""
    import pandas as pd  # only this command needs it; keep `veille` start-up light

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path} is not UTF-8; re-save it as UTF-8 (CSV UTF-8)") from exc
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportFileError(f"{path}: {exc}") from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    from enrich.matching import COLUMNS

    known = [c for c in df.columns if c in COLUMNS]
    if not [c for c in known if c != "id"]:
        raise ImportFileError(
            f"{path} has none of the alumni-import columns ({', '.join(COLUMNS)}); "
            "check the header line"
        )
    if "id" in df.columns:
        dupes = df["id"][df["id"].duplicated() & (df["id"] != "")]
        if len(dupes):
            raise ImportFileError(f"{path}: duplicate id {dupes.iloc[0]!r}; ids must be unique")
    return df[known]


def match(
    alumni: Path = typer.Option(..., "--alumni", help="Alumni CSV (alumni-import columns)."),
    profiles: Path = typer.Option(..., "--profiles", help="Profiles CSV (same columns)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write links.csv."),
    threshold: float = typer.Option(0.5, "--threshold", help="Minimum match probability."),
    model_path: Path | None = typer.Option(
        None, "--model", help="Re-use this trained model (JSON) instead of training."
    ),
    save_model: Path | None = typer.Option(
        None, "--save-model", help="Write the trained model (JSON) here."
    ),
    alumni_unique: bool = typer.Option(
        True,
        "--alumni-unique/--many-per-alumnus",
        help="Link each alumnus at most once too (each profile always at most once).",
    ),
) -> None:
    """Link profiles to alumni with a probability and per-field evidence."""
    from enrich.matching import FSModel, match_frames

    a_df = read_people_csv(alumni)
    p_df = read_people_csv(profiles)
    model = None
    if model_path is not None:
        try:
            model = FSModel.load(model_path)
        except (OSError, ValueError, KeyError) as exc:
            raise ImportFileError(f"cannot use model {model_path}: {exc}") from exc
    links, model = match_frames(
        a_df, p_df, model=model, threshold=threshold, alumni_unique=alumni_unique
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
    console.print(
        f"{len(links)} links from {len(p_df)} profiles and {len(a_df)} alumni "
        f"written to [bold]{output}[/]",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("match")(match)
