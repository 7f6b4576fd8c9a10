"""Gather routing training data (shipped vectors, UI corrections, ``--data``) and fit.

The head ships with the embeddings it was trained on
(``train_embeddings.npz``: float16 vectors, team, language, source, text
hash; no text), so ``veille route train`` can retrain on the shipped data
plus the teams community managers corrected, without the original texts,
several of which have no licence that allows copying them.

The text head (:mod:`enrich.routing_text_head`) needs texts: it learns from the lines
whose text the repository holds (``enrich/data/routing/train/``, found again by their
hash), from the corrections (the database keeps their text) and from ``--data`` folders
given to the run. Lines that ship only as vectors stay with the embedding head.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from enrich.routing_data import HELDOUT_SOURCES, read_dir, read_files, spent_part_files
from enrich.routing_model import HEAD_DIR, HEAD_META, active_head_dir, trained_head_dir
from enrich.routing_train import (
    EmbeddingCache,
    Prototypes,
    fit_temperature,
    source_weights,
    train,
)

log = logging.getLogger(__name__)

TRAIN_EMBEDDINGS = "train_embeddings.npz"
#: The training texts the repository holds (licensed for it): the text head's data.
VENDORED_TRAIN_DIR = Path(__file__).parent / "data" / "routing" / "train"
CORRECTIONS_SOURCE = "corrections"
#: A correction counts as this many shipped examples: few, but from this institution.
CORRECTION_WEIGHT = 3.0


@dataclass
class Dataset:
    x: np.ndarray
    teams: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    #: Each line's text, ``""`` where only its vector is known.
    texts: list[str] = field(default_factory=list)

    def add(
        self,
        x: np.ndarray,
        teams: list[str],
        langs: list[str],
        sources: list[str],
        keys: list[str],
        groups: list[str] | None = None,
        texts: list[str] | None = None,
    ) -> None:
        if not len(teams):
            return
        self.texts += texts if texts is not None else [""] * len(teams)
        self.groups += (
            groups
            if groups is not None
            else [f"{s}#{t}" for s, t in zip(sources, teams, strict=True)]
        )
        self.x = np.vstack([self.x, x.astype(np.float32)]) if self.x.size else x.astype(np.float32)
        self.teams += teams
        self.langs += langs
        self.sources += sources
        self.keys += keys


def vendored_texts(folder: Path = VENDORED_TRAIN_DIR) -> dict[str, str]:
    """Text hash -> text, for every line of the repository's training files and of the
    spent held-out parts (:data:`~enrich.routing_data.SPENT_HELDOUT_PARTS`)."""
    import json

    found: dict[str, str] = {}
    for path in [*sorted(folder.glob("*.jsonl")), *spent_part_files()]:
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text", "") if line.strip() else ""
            if text:
                found[EmbeddingCache.key(text)] = text
    return found


def load_shipped(folder: Path = HEAD_DIR) -> Dataset:
    path = folder / TRAIN_EMBEDDINGS
    ds = Dataset(np.zeros((0, 0), dtype=np.float32))
    if not path.exists():
        return ds
    known = vendored_texts()
    with np.load(path) as d:
        keys = [str(t) for t in d["key"]]
        ds.add(
            d["x"].astype(np.float32),
            [str(t) for t in d["team"]],
            [str(t) for t in d["lang"]],
            [str(t) for t in d["source"]],
            keys,
            [str(t) for t in d["group"]] if "group" in d.files else None,
            [known.get(k, "") for k in keys],
        )
    return ds


def corrections(db_url: str) -> list[tuple[str, str, str]]:
    """``(text, team, lang)`` of every routing correction, the latest per mention."""
    from store.db import session_scope
    from store.labels import labelled_examples

    latest: dict[Any, tuple[str, str, str]] = {}
    with session_scope(db_url) as s:
        for ex in labelled_examples(s, task="team"):
            key = ex.mention_id if ex.mention_id is not None else ("id", ex.id)
            latest[key] = (ex.text, ex.label, ex.lang or "?")
    return list(latest.values())


def collect(
    encoder: Any,
    *,
    data: Path | Sequence[Path] | None = None,
    cache: Path | None = None,
    db_url: str = "",
    shipped: bool = True,
    cap: int = 700,
    head_dir: Path | None = None,
    spent: bool = True,
) -> Dataset:
    """Shipped vectors + spent held-out parts + ``--data`` folders + corrections (held-out
    sources always excluded).

    ``data`` is one folder or several (the project's working material and a
    collection kept elsewhere, e.g. texts whose licence forbids copying them here).
    ``spent`` adds the spent held-out parts the repository holds (lines already in the
    shipped vectors are not added twice).
    """
    folder = head_dir or active_head_dir()
    emb = EmbeddingCache(encoder, cache, training_length(encoder))
    ds = load_shipped(folder) if shipped else Dataset(np.zeros((0, 0), dtype=np.float32))
    made_by = head_encoder(folder)
    name = getattr(encoder, "name", None)
    if ds.teams and name and made_by != name:
        if folder != HEAD_DIR and head_encoder(HEAD_DIR) == name:
            # a head retrained here before the encoder changed: the shipped vectors are
            # already this encoder's, so only its own extra lines need embedding again
            ds = with_extra_lines(load_shipped(HEAD_DIR), ds, emb, made_by)
        else:
            ds = reembedded(ds, emb, made_by)
    seen = set(ds.keys)
    folders = [data] if isinstance(data, Path) else list(data or [])
    rows = [
        e
        for folder in folders
        for e in read_dir(folder, exclude=HELDOUT_SOURCES, cap_per_label=cap)
    ]
    if spent:
        rows += read_files(spent_part_files(), cap_per_label=cap)
    rows = [e for e in rows if emb.key(e.text) not in seen]
    if rows:
        ds.add(
            emb.embed([e.text for e in rows]),
            [e.team for e in rows],
            [e.lang for e in rows],
            [e.source for e in rows],
            [emb.key(e.text) for e in rows],
            [e.label for e in rows],
            [e.text for e in rows],
        )
    if db_url:
        fixes = corrections(db_url)
        ds.add(
            emb.embed([t for t, _, _ in fixes]),
            [team for _, team, _ in fixes],
            [lang for _, _, lang in fixes],
            [CORRECTIONS_SOURCE] * len(fixes),
            [emb.key(t) for t, _, _ in fixes],
            texts=[t for t, _, _ in fixes],
        )
    if not ds.teams:
        from veille.errors import ImportFileError

        raise ImportFileError(
            "no routing training data: no shipped embeddings, no corrections and no --data"
        )
    return ds


def head_encoder(folder: Path) -> str:
    """The encoder name a saved head records (the base's for heads that name none)."""
    import json

    from sentiment.encoder import ENCODER_NAME

    try:
        meta = json.loads((folder / HEAD_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ENCODER_NAME
    return str(meta.get("encoder") or ENCODER_NAME) if isinstance(meta, dict) else ENCODER_NAME


def reads_routing_adapter(encoder_name: str) -> bool:
    """Whether an encoder's name (an encoder's own, or the one a head's metadata records)
    is the routing-tuned encoder: its name carries the adapter's id after a ``+``."""
    from sentiment.encoder import ENCODER_NAME

    return encoder_name != ENCODER_NAME and "+" in encoder_name


def tuned_config(encoder: Any) -> dict[str, Any] | None:
    """The routing adapter's config when ``encoder`` is the tuned one, else None (the base
    encoder, a test stand-in)."""
    from sentiment.encoder import ENCODER_NAME

    if not reads_routing_adapter(str(getattr(encoder, "name", ENCODER_NAME))):
        return None
    from enrich.routing_finetune import read_adapter_config

    return read_adapter_config()


def training_length(encoder: Any) -> int:
    """Tokens a training text is embedded at: the tuned encoder's own training length;
    128 for the base encoder (its heads were fitted on 128-token vectors, round 11)."""
    config = tuned_config(encoder)
    return 128 if config is None else int(config.get("max_length", 64))


def tuned_settings(encoder: Any) -> dict[str, float] | None:
    """The head settings chosen for the tuned encoder (adapter config's ``head``), if any.

    Why fixed: the tuned encoder has seen the training lines, so cross-validation on their
    vectors is optimistic (every fold looks separable) and would choose the threshold and
    weights for data the router never meets. They are chosen instead on the development
    parts of the held-out split (docs/routing.md, round 14).
    """
    head = (tuned_config(encoder) or {}).get("head")
    return {k: float(v) for k, v in head.items() if isinstance(v, int | float)} if head else None


def with_extra_lines(base: Dataset, local: Dataset, emb: EmbeddingCache, made_by: str) -> Dataset:
    """``base`` plus the lines of ``local`` it lacks, embedded again (:func:`reembedded`)."""
    known = set(base.keys)
    extra = [i for i, k in enumerate(local.keys) if k not in known]
    if not extra:
        return base
    more = reembedded(subset(local, extra), emb, made_by)
    base.add(more.x, more.teams, more.langs, more.sources, more.keys, more.groups, more.texts)
    return base


def subset(ds: Dataset, rows: Sequence[int]) -> Dataset:
    """The given lines of ``ds``, vectors included."""
    out = Dataset(np.zeros((0, 0), dtype=np.float32))
    out.add(
        ds.x[list(rows)],
        [ds.teams[i] for i in rows],
        [ds.langs[i] for i in rows],
        [ds.sources[i] for i in rows],
        [ds.keys[i] for i in rows],
        [ds.groups[i] for i in rows],
        [ds.texts[i] for i in rows],
    )
    return out


def reembedded(ds: Dataset, emb: EmbeddingCache, made_by: str) -> Dataset:
    """The lines of ``ds`` whose text is known, embedded again by ``emb``'s encoder.

    Vectors of another encoder live in another space: mixing them would make a head that
    reads neither. Lines known only as vectors are dropped (give their corpus again with
    ``--data``), and the log says how many.
    """
    keep = [i for i, t in enumerate(ds.texts) if t]
    if len(keep) < len(ds.teams):
        log.warning(
            "%d shipped line(s) were embedded by %s and have no text here: dropped "
            "(pass their corpus with --data)",
            len(ds.teams) - len(keep),
            made_by,
        )
    out = subset(ds, keep)
    if keep:
        out.x = emb.embed(out.texts)
    return out


def current_settings(folder: Path) -> dict[str, float]:
    """``C``, ``text_weight`` and ``proto_weight`` of the head in ``folder`` (those it has).

    A retrain keeps them while they stay within the noise of the best (see
    ``routing_train.keep_or_best``); an unreadable or missing head gives none.
    """
    import json

    try:
        meta = json.loads((folder / HEAD_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(meta, dict):
        return {}
    keys = ("C", "text_weight", "proto_weight")
    return {k: float(meta[k]) for k in keys if isinstance(meta.get(k), int | float)}


def fit_and_save(
    ds: Dataset, out: Path | None = None, *, encoder: Any = None
) -> tuple[Path, dict[str, Any]]:
    """Fit the head on ``ds`` and write it (weights, metadata, training vectors)."""
    from enrich.routing_model import prototypes
    from veille.config import merge_standard_teams

    folder = out or trained_head_dir()
    weights = source_weights(ds.sources) * np.array(
        [CORRECTION_WEIGHT if s == CORRECTIONS_SOURCE else 1.0 for s in ds.sources]
    )
    from sentiment.encoder import ENCODER_NAME

    meta: dict[str, Any] = {
        "encoder": getattr(encoder, "name", ENCODER_NAME) if encoder is not None else ENCODER_NAME,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sources": sorted(set(ds.sources)),
        "heldout_sources": list(HELDOUT_SOURCES),
    }
    protos: Prototypes | None = None
    if encoder is not None:
        std = merge_standard_teams({})
        names, vectors = prototypes(
            encoder, {n: [t.description, t.description_en] for n, t in std.items()}
        )
        sims = ds.x @ vectors.T
        protos = Prototypes(sims, names, fit_temperature(sims, ds.teams, names))
    fixed = tuned_settings(encoder)
    if fixed:  # the "cv" figures the head records are then in-sample, hence optimistic
        meta["settings_from"] = "routing adapter config (development parts), not cross-validation"
    head, report = train(
        ds.x,
        ds.teams,
        ds.groups,
        meta=meta,
        sample_weight=weights,
        protos=protos,
        texts=ds.texts,
        current=current_settings(active_head_dir()),
        fixed=fixed,
    )
    if protos is None:  # no encoder, no prototypes: keep the temperature, the head alone
        old = active_head_dir() / "head.json"
        if old.exists():
            import json

            head.meta["proto_temperature"] = json.loads(old.read_text(encoding="utf-8")).get(
                "proto_temperature", 0.02
            )
    head.save(folder)
    np.savez_compressed(
        folder / TRAIN_EMBEDDINGS,
        x=ds.x.astype(np.float16),
        team=np.array(ds.teams),
        lang=np.array(ds.langs),
        source=np.array(ds.sources),
        key=np.array(ds.keys),
        group=np.array(ds.groups),
    )
    report["proto_temperature"] = head.meta.get("proto_temperature")
    return folder, report
