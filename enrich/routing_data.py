"""The labelled lines of the routing head: reading them, and which files are held out.

Data: JSON Lines with ``text``, ``lang`` and either ``team`` (already in
veille's teams: corrections, the vendored held-out set) or the source's own
label (``intent_or_label_as_in_source``), mapped through
``enrich/data/routing/label_map.toml`` by the file's name.

Training (:mod:`enrich.routing_train`), fine-tuning (:mod:`enrich.routing_finetune`), ``veille
route eval`` and the benchmark share these readers and the :class:`Example` they give, so that
each reads the lines the same way.
"""

from __future__ import annotations

import hashlib
import json
import random
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from veille.errors import ImportFileError
from veille.jsonl import read_json_objects

LABEL_MAP_PATH = Path(__file__).parent / "data" / "routing" / "label_map.toml"
#: Sources kept out of training for the frozen held-out split (licensed: vendored in
#: benchmarks/data/routing/).
HELDOUT_SOURCES = (
    "vit_bot_rasa_en.jsonl",
    "slowblitz_univ_schedule_rasa_fr.jsonl",
    "clinc150_work_visa_en.jsonl",
)
#: The benchmark's held-out parts (``benchmarks/data/routing/``).
SPENT_PARTS_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "routing"
#: Held-out parts 1 to 114 (part 15 since round 16, part 16 since round 17, part 17 since
#: round 18, part 18 since round 19, part 19 since round 20, part 20 since round 21,
#: parts 21-24 since round 27, ..., parts 45-50 since round 46, parts 51-54 since round
#: 48, parts 55-57 since round 51, part 58 since round 52, parts 59-60 since round 53,
#: part 61 since round 54, part 62 since round 55, parts 63-65 since round 56, parts
#: 66-71 since round 57, parts 72-73 since round 58, parts 74-75 since round 59, parts
#: 76-77 since round 60, parts 78-79 since round 61, part 80 since round 62, part 81
#: since round 63, part 82 since round 64, part 83 since round 65, part 84 since round
#: 66, part 85 since round 67, part 86 since round 68, part 87 since round 69, part 88
#: since round 70, parts 89-90 since round 71, parts 91-92 since round 72, part 93 since
#: round 73, parts 94-96 since round 74, parts 97-101 since round 75, parts 102-103 since
#: round 76, parts 104-108 since round 77, parts 109-110 since round 78, part 111 since
#: round 79, parts 112-114 since round 80 of ``docs/routing.md``): each was scored once
#: with a released head as it was frozen, then read again by later rounds as a
#: development set. Spent as measures, they are worth more as training lines of the kind
#: veille routes (news, posts and questions of about 1,380 institutions); the parts
#: frozen after them are never read for training (``benchmarks/README.md``, routing round
#: 15). The order is the shipped head's.
SPENT_HELDOUT_PARTS = (
    "heldout.jsonl",
    "heldout_clinc150.jsonl",
    "heldout_faq.jsonl",
    "heldout_faq2.jsonl",
    "heldout_univ_texts.jsonl",
    "heldout_univ_news.jsonl",
    "heldout_univ_news2.jsonl",
    "heldout_univ_news3.jsonl",
    "heldout_univ_news4.jsonl",
    "heldout_univ_news5.jsonl",
    "heldout_requests.jsonl",
    "heldout_chatbots_fr.jsonl",
    "heldout_chatbots2.jsonl",
    "heldout_univ_mix.jsonl",
    "heldout_univ_mix2.jsonl",
    "heldout_univ_mix3.jsonl",
    "heldout_univ_mix4.jsonl",
    "heldout_univ_mix5.jsonl",
    "heldout_univ_mix6.jsonl",
    "heldout_univ_mix7.jsonl",
    "heldout_univ_mix8.jsonl",
    "heldout_univ_mix9.jsonl",
    "heldout_univ_mix10.jsonl",
    "heldout_univ_mix11.jsonl",
    "heldout_univ_mix12.jsonl",
    "heldout_univ_mix13.jsonl",
    "heldout_univ_mix14.jsonl",
    "heldout_univ_mix15.jsonl",
    "heldout_univ_mix16.jsonl",
    "heldout_univ_mix17.jsonl",
    "heldout_univ_mix18.jsonl",
    "heldout_univ_mix19.jsonl",
    "heldout_univ_mix20.jsonl",
    "heldout_univ_mix21.jsonl",
    "heldout_univ_mix22.jsonl",
    "heldout_univ_mix23.jsonl",
    "heldout_univ_mix24.jsonl",
    "heldout_univ_mix25.jsonl",
    "heldout_univ_mix26.jsonl",
    "heldout_univ_mix27.jsonl",
    "heldout_univ_mix28.jsonl",
    "heldout_univ_mix29.jsonl",
    "heldout_univ_mix30.jsonl",
    "heldout_univ_mix31.jsonl",
    "heldout_univ_mix32.jsonl",
    "heldout_univ_mix33.jsonl",
    "heldout_univ_mix34.jsonl",
    "heldout_univ_mix35.jsonl",
    "heldout_univ_mix36.jsonl",
    "heldout_univ_mix37.jsonl",
    "heldout_univ_mix38.jsonl",
    "heldout_univ_mix39.jsonl",
    "heldout_univ_mix40.jsonl",
    "heldout_univ_mix41.jsonl",
    "heldout_univ_mix42.jsonl",
    "heldout_univ_mix43.jsonl",
    "heldout_univ_mix44.jsonl",
    "heldout_univ_mix45.jsonl",
    "heldout_univ_mix46.jsonl",
    "heldout_univ_mix47.jsonl",
    "heldout_univ_mix48.jsonl",
    "heldout_univ_mix49.jsonl",
    "heldout_univ_mix50.jsonl",
    "heldout_univ_mix51.jsonl",
    "heldout_univ_mix52.jsonl",
    "heldout_univ_mix53.jsonl",
    "heldout_univ_mix54.jsonl",
    "heldout_univ_mix55.jsonl",
    "heldout_univ_mix56.jsonl",
    "heldout_univ_mix57.jsonl",
    "heldout_univ_mix58.jsonl",
    "heldout_univ_mix59.jsonl",
    "heldout_univ_mix60.jsonl",
    "heldout_univ_mix61.jsonl",
    "heldout_univ_mix62.jsonl",
    "heldout_univ_mix63.jsonl",
    "heldout_univ_mix64.jsonl",
    "heldout_univ_mix65.jsonl",
    "heldout_univ_mix66.jsonl",
    "heldout_univ_mix67.jsonl",
    "heldout_univ_mix68.jsonl",
    "heldout_univ_mix69.jsonl",
    "heldout_univ_mix70.jsonl",
    "heldout_univ_mix71.jsonl",
    "heldout_univ_mix72.jsonl",
    "heldout_univ_mix73.jsonl",
    "heldout_univ_mix74.jsonl",
    "heldout_univ_mix75.jsonl",
    "heldout_univ_mix76.jsonl",
    "heldout_univ_mix77.jsonl",
    "heldout_univ_mix78.jsonl",
    "heldout_univ_mix79.jsonl",
    "heldout_univ_mix80.jsonl",
    "heldout_univ_mix81.jsonl",
    "heldout_univ_mix82.jsonl",
    "heldout_univ_mix83.jsonl",
    "heldout_univ_mix84.jsonl",
    "heldout_univ_mix85.jsonl",
    "heldout_univ_mix86.jsonl",
    "heldout_univ_mix87.jsonl",
    "heldout_univ_mix88.jsonl",
    "heldout_univ_mix89.jsonl",
    "heldout_univ_mix90.jsonl",
    "heldout_univ_mix91.jsonl",
    "heldout_univ_mix92.jsonl",
    "heldout_univ_mix93.jsonl",
    "heldout_univ_mix94.jsonl",
    "heldout_univ_mix95.jsonl",
    "heldout_univ_mix96.jsonl",
    "heldout_univ_mix97.jsonl",
    "heldout_univ_mix98.jsonl",
    "heldout_univ_mix99.jsonl",
    "heldout_univ_mix100.jsonl",
    "heldout_univ_mix101.jsonl",
)
TEAMS = ("it", "student_services", "alumni", "communications", "hr", "international", "research")


@dataclass(frozen=True)
class Example:
    text: str
    team: str
    lang: str
    source: str
    #: The source's own label (cross-validation keeps each label in one fold).
    label: str = ""


def load_label_map(path: Path = LABEL_MAP_PATH) -> dict[str, dict[str, Any]]:
    """Each source file's settings, by file name.

    A spent held-out part with no ``[sources]`` table of its own takes the settings of the
    first ``[spent_part_patterns]`` pattern its name matches. Why: every round adds the
    part it scored to the head with the same weight, and one table per part was a copy
    with no variation (97 of them by round 78). Only spent parts match, so a part still
    frozen for a test never gains a training setting.
    """
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    specs = dict(data["sources"])
    patterns: dict[str, dict[str, Any]] = data.get("spent_part_patterns", {})
    for name in SPENT_HELDOUT_PARTS:
        if name in specs:
            continue
        match = next((spec for pat, spec in patterns.items() if fnmatch(name, pat)), None)
        if match is not None:
            specs[name] = dict(match)
    return specs


def map_label(spec: dict[str, Any], label: str) -> str:
    """Team (or ``drop``) for one source label: exact entry, else longest prefix, else default."""
    labels: dict[str, str] = spec.get("labels", {})
    if label in labels:
        return labels[label]
    prefixes: dict[str, str] = spec.get("prefixes", {})
    best = max((p for p in prefixes if label.startswith(p)), key=len, default=None)
    if best is not None:
        return prefixes[best]
    return str(spec.get("default", "drop"))


def read_file(path: Path, label_map: dict[str, dict[str, Any]] | None = None) -> list[Example]:
    """One JSONL file as examples; lines mapped to ``drop`` or with no text are skipped."""
    label_map = load_label_map() if label_map is None else label_map
    spec = label_map.get(path.name)
    out: list[Example] = []
    for n, row in read_json_objects(path):
        text = str(row.get("text") or "").strip()
        label = str(row.get("intent_or_label_as_in_source") or row.get("team") or "")
        if row.get("team"):
            team = str(row["team"])
        elif spec is not None and "intent_or_label_as_in_source" in row:
            team = map_label(spec, str(row["intent_or_label_as_in_source"]))
        else:
            raise ImportFileError(
                f"no 'team', and {path.name} is not in the label map ({LABEL_MAP_PATH.name})",
                line=n,
                path=path,
            )
        if text and team != "drop":
            out.append(
                Example(
                    text,
                    team,
                    str(row.get("lang") or "?"),
                    str(row.get("source") or path.name),
                    label,
                )
            )
    return out


def read_dir(
    data_dir: Path, *, exclude: Iterable[str] = (), cap_per_label: int = 0, seed: int = 7
) -> list[Example]:
    """Every mapped ``*.jsonl`` of a folder, the held-out sources excluded.

    ``cap_per_label`` keeps at most that many lines per (file, team): the IT
    ticket file alone would otherwise outweigh every university source. A
    source's own ``cap`` in the label map (chosen by cross-validation: one
    master's FAQ phrased 1,400 ways would pull every French question its way)
    takes precedence.
    """
    skip = set(exclude)
    paths = [p for p in sorted(data_dir.glob("*.jsonl")) if p.name not in skip]
    return read_files(paths, cap_per_label=cap_per_label, seed=seed)


def read_files(paths: Iterable[Path], *, cap_per_label: int = 0, seed: int = 7) -> list[Example]:
    """The lines of these files, capped as :func:`read_dir` caps a folder's; each line's
    source is its file's name (the label map's key for its weight and cap)."""
    label_map = load_label_map()
    out: list[Example] = []
    for path in paths:
        # files not in the label map must carry a "team" on every line
        rows = read_file(path, label_map)
        cap = int(label_map.get(path.name, {}).get("cap", cap_per_label))
        if cap:
            rng = random.Random(seed)
            by_team: dict[str, list[Example]] = {}
            for ex in rows:
                by_team.setdefault(ex.team, []).append(ex)
            rows = []
            for team in sorted(by_team):
                group = by_team[team]
                rng.shuffle(group)
                rows.extend(group[:cap])
        for ex in rows:
            out.append(Example(ex.text, ex.team, ex.lang, path.name, f"{path.name}#{ex.label}"))
    return out


def spent_part_files() -> list[Path]:
    """The spent held-out parts the repository holds (none in an installed package)."""
    return [p for name in SPENT_HELDOUT_PARTS if (p := SPENT_PARTS_DIR / name).is_file()]


def sha256_lines(examples: Sequence[Example]) -> str:
    """Fingerprint of a split (texts and teams, in order): frozen in the docs."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps([ex.text, ex.team, ex.lang], ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()
