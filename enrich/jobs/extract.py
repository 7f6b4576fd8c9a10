"""Job changes read from texts: the rules over spaCy, then the tagger, the vetoes, the head.

Why this order: the trigger pre-filter (:mod:`enrich.jobs_prefilter`) drops texts that
cannot announce a change before any model runs; the rules (:mod:`enrich.jobs.rules`) read
the regular phrasings; the tagger (:mod:`enrich.jobs.merge`) reads the others; the vetoes
(:mod:`enrich.jobs_vetoes`) drop prizes, protests, firings and rumours whoever read them, and
:mod:`enrich.jobs.tidy` trims the slots of what is left; last, the change head
(:mod:`enrich.jobs_change_head`) embeds the sentence of each change left and drops those
that tell no move (hard negatives that reuse the trigger words). It is
last because it is the only step that costs an encoder pass per change: texts without a
change never reach it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from enrich.jobs.change import RULES_VERSION, TAGGER_VERSION, JobChangeFound
from enrich.jobs.lang import detect_lang, normalise_inclusive
from enrich.jobs.merge import with_tagger
from enrich.jobs.nlp import get_nlp, sentences, trigger_matcher
from enrich.jobs.rules import read_sentence
from enrich.jobs.slots import parse_start_date
from enrich.jobs.tidy import seat_body, seat_title, tidy

if TYPE_CHECKING:
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Token


def extract_job_changes(
    texts: Sequence[str],
    lang: str | None = None,
    *,
    published: Sequence[datetime | None] | None = None,
    batch_size: int = 32,
    use_tagger: bool = True,
    prefilter: bool = True,
    change_head: bool | None = None,
    decide: bool = True,
) -> list[list[JobChangeFound]]:
    """Job changes announced in each text (empty list when none), batched per language.

    ``lang`` forces the language of every text; otherwise each is detected.
    ``published`` gives each text's date, used to complete dates without a year.
    ``use_tagger=False`` gives the rules alone (the benchmark compares both).
    Changes whose sentence announces something else (a prize, a protest, a firing, a
    rumour: :mod:`enrich.jobs_vetoes`) are dropped, whichever of the two read them, and so
    are the tagger's changes with no trigger expression in or just before their sentence.
    ``prefilter=False`` reads every text, even one without any trigger expression
    (:mod:`enrich.jobs_prefilter`: such texts are skipped by default, and a long text is
    cut to its trigger sentences, which is what makes ordinary posts cheap).
    ``change_head`` (default: as ``use_tagger``, since both read the installed models)
    applies the learnt yes/no of :mod:`enrich.jobs_change_head` to each change's sentence.
    ``decide=False`` skips the deciding tagger's yes/no (:func:`enrich.jobs.merge.with_tagger`):
    for a reader of positions, where a person named with a title and an employer is the fact
    sought whether or not the sentence tells a move (an announcement's jury list,
    :mod:`crawlers.appointments`); the vetoes still apply.
    """
    # Decomposed accents ("nomme\u0301e", as some feeds and files send them) read as the
    # rules' and the tagger's words: canonically equal text, composed (NFC).
    texts = [unicodedata.normalize("NFC", t) if t and not t.isascii() else t for t in texts]
    if prefilter:
        from enrich.jobs_prefilter import focus, might_announce_change

        keep = [i for i, t in enumerate(texts) if might_announce_change(t or "")]
        focused = [focus(texts[i] or "") for i in keep]
        if len(keep) < len(texts) or focused != [texts[i] for i in keep]:
            read = extract_job_changes(
                focused,
                lang,
                published=[published[i] for i in keep] if published else None,
                batch_size=batch_size,
                use_tagger=use_tagger,
                prefilter=False,
                change_head=change_head,
                decide=decide,
            )
            from enrich.jobs_vetoes import veto

            out: list[list[JobChangeFound]] = [[] for _ in texts]
            for i, changes in zip(keep, read, strict=True):
                # The vetoes again, on the whole text: the focused one may have lost the
                # sentence that says what the post is (a thesis defence, a job offer).
                out[i] = [jc for jc in changes if not veto(jc.sentence, texts[i] or "")]
            return out
    langs = [lang or detect_lang(t) for t in texts]
    langs = [la if la in {"fr", "en"} else "en" for la in langs]
    results = rule_changes(texts, langs, published, batch_size=batch_size)
    if use_tagger:
        results = with_tagger(texts, langs, results, published, decide=decide)
    kept = [
        [tidy(jc) for jc in found if dropped_by(jc, text or "") is None]
        for text, found in zip(texts, results, strict=True)
    ]
    if use_tagger if change_head is None else change_head:
        # The one call site of the change head: after every reader and veto, on changes only.
        from enrich.jobs_change_head import keep_told_changes

        kept = keep_told_changes(kept)
    return kept


def warm_up() -> None:
    """Load now what the extractor would load at its first texts.

    Why: besides the spaCy models and the taggers, two libraries read tables at their first
    call: langdetect its language profiles (about 0.6 s, at the first text whose stop-word vote
    is close) and dateparser its time-zone patterns (about 0.5 s, at the first start date).
    The benchmark's rate "after loading" calls this first, so that it does not time them
    inside its first batch.
    """
    from langdetect.detector_factory import init_factory

    from enrich.job_tagger import load_tagger, load_title_tagger
    from enrich.jobs_change_head import shipped_head
    from enrich.jobs_gate import load_gate

    for lang in ("fr", "en"):
        get_nlp(lang)
        trigger_matcher(lang)
    load_tagger()
    load_title_tagger()
    load_gate()
    shipped_head()
    init_factory()
    parse_start_date("appointed as of 1 March 2024")


def dropped_by(jc: JobChangeFound, text: str) -> str | None:
    """Why ``jc``, read in ``text``, is not a job change, or None when it stays: a veto
    expression (:mod:`enrich.jobs_vetoes`), a seat on a board (:func:`seat_title`,
    :func:`seat_body`), or, for a change only the tagger read, no trigger expression in or
    just before its sentence.

    One place for these checks: :func:`extract_job_changes` keeps the changes it returns None
    for, and ``scripts/jobs_loss_trace.py`` names the stage that dropped a lost one.
    """
    from enrich.jobs_prefilter import near_trigger
    from enrich.jobs_vetoes import veto

    expression = veto(jc.sentence, text)
    if expression:
        return f"veto: {expression}"
    if (jc.title and seat_title(jc.title, jc.sentence)) or seat_body(jc.organization, jc.title):
        return "board seat"
    if jc.rule.startswith(TAGGER_VERSION) and not near_trigger(text, jc.sentence):
        return "no trigger near the change's sentence"
    return None


def rule_changes(
    texts: Sequence[str],
    langs: Sequence[str],
    published: Sequence[datetime | None] | None = None,
    *,
    batch_size: int = 32,
) -> list[list[JobChangeFound]]:
    """The rules alone: each text read in its language ("fr" or "en"), no tagger, no veto.

    ``tests/enrich/test_jobs_golden.py`` pins this layer's output on the labelled corpus.
    """
    results: list[list[JobChangeFound]] = [[] for _ in texts]
    for la in ("fr", "en"):
        idx = [i for i, x in enumerate(langs) if x == la]
        if not idx:
            continue
        nlp = get_nlp(la)
        matcher = trigger_matcher(la)
        norm = [normalise_inclusive(texts[i] or "") for i in idx]
        for i, doc in zip(idx, nlp.pipe(norm, batch_size=batch_size), strict=True):
            base = published[i] if published else None
            results[i] = _extract_doc(doc, matcher, la, texts[i] or "", base)
    return results


def _same_post(a: str, b: str) -> bool:
    """One title is the other with words in front ("poste de chargée de X" / "chargée de X")."""
    a, b = a.casefold(), b.casefold()
    return a.endswith(" " + b) or b.endswith(" " + a)


def _extract_doc(
    doc: Doc, matcher: Matcher, lang: str, original: str, base: datetime | None
) -> list[JobChangeFound]:
    vocab = doc.vocab
    all_matches = [(vocab.strings[mid], s, e) for mid, s, e in matcher(doc)]
    ents = list(doc.ents)
    out: list[JobChangeFound] = []
    for sent in sentences(doc):
        matches = sorted(
            ((r, s, e) for r, s, e in all_matches if sent.start <= s < sent.end),
            key=lambda x: (x[1], -(x[2] - x[1])),
        )
        # keep the longest match at each start, drop matches inside an earlier one
        kept: list[tuple[str, int, int]] = []
        for r, s, e in matches:
            if kept and s < kept[-1][2]:
                continue
            kept.append((r, s, e))
        sentence = original[sent.start_char : sent.end_char].strip()
        for rule, person, org, title in read_sentence(doc, sent, kept, lang, ents):
            p = _orig(original, person)
            o = _orig(original, org)
            t = _orig(original, title)
            date_found = parse_start_date(sentence, base)
            dup = next(
                (
                    i
                    for i, prev in enumerate(out)
                    if (p == prev.person or prev.person is None or p is None)
                    and o == prev.organization
                    and (
                        t == prev.title
                        or t is None
                        or prev.title is None
                        or _same_post(t, prev.title)
                    )
                ),
                None,
            )
            if dup is not None:
                # the same move told twice (headline + body): keep the fuller account
                prev = out[dup]
                shorter = min((x for x in (prev.title, t) if x), key=len, default=None)
                out[dup] = replace(
                    prev,
                    person=prev.person or p,
                    title=shorter if t and prev.title else prev.title or t,
                    start_date=prev.start_date or date_found,
                )
                continue
            out.append(
                JobChangeFound(
                    person=p,
                    organization=o,
                    title=t,
                    start_date=date_found,
                    lang=lang,
                    rule=f"{RULES_VERSION}:{lang}:{rule}",
                    sentence=sentence,
                )
            )
    if len(out) == 1 and out[0].start_date is None:
        # "X est nommée directrice de Y. Elle prendra ses fonctions le 1er mars."
        strong = parse_start_date(original, base, strong_only=True)
        if strong:
            out[0] = replace(out[0], start_date=strong)
    return out


def _orig(original: str, tokens: Sequence[Token]) -> str | None:
    """The span's text in the original (un-normalised) string."""
    if not tokens:
        return None
    a = tokens[0].idx
    b = tokens[-1].idx + len(tokens[-1].text)
    text = original[a:b]
    text = re.sub(r"\s+", " ", text).strip(" ,;:-")
    return text or None
