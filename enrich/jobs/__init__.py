"""Job changes found in free text (FR and EN), and the pipeline stage that stores them.

Why rules and not only a trained model: an alumni office must be able to check *why* a
suggestion was made, and appointment announcements are written in a handful of very regular
forms ("X a été nommée directrice de Y", "rejoint Y en tant que Z", "I'm starting a new
position as Z at Y", "X joins Y as Z"). spaCy gives tokens, sentences and named entities; a
:class:`spacy.matcher.Matcher` built from ``enrich/data/jobs/triggers_*.jsonl`` finds the
trigger of each form; one rule per form (:mod:`enrich.jobs.rules`) takes the person, the title
and the organisation around it with the slot readers of :mod:`enrich.jobs.slots`. A title must
contain a known job-title head word (gender-inclusive French forms included) and an
organisation must look like a proper name: that is what rejects "nommé aux Oscars", "joined the
protest" or "a rejoint le cortège", which share the trigger words. The word lists are data
(``enrich/data/jobs/words.txt``); docs/enrichment.md says how to add a phrasing.

The package:

* :mod:`~enrich.jobs.extract` — :func:`extract_job_changes`, the entry point;
* :mod:`~enrich.jobs.rules` — one function per trigger label, dispatched from a table;
* :mod:`~enrich.jobs.slots` — person, organisation, title and start-date readers;
* :mod:`~enrich.jobs.merge` — merging with the trained tagger;
* :mod:`~enrich.jobs.stage` — the ``job_changes`` pipeline stage;
* :mod:`~enrich.jobs.lang`, :mod:`~enrich.jobs.nlp`, :mod:`~enrich.jobs.lexicon` — language,
  models and matchers (loaded once per process), word lists.
"""

from enrich.jobs.change import (
    CHANGE_HEAD_VERSION,
    FILTERS_VERSION,
    METHOD,
    RULES_VERSION,
    TAGGER_VERSION,
    JobChangeFound,
)
from enrich.jobs.extract import extract_job_changes, rule_changes
from enrich.jobs.lang import detect_lang, normalise_inclusive
from enrich.jobs.lexicon import (
    DEPARTMENTS,
    ORG_HEADS,
    TITLE_HEADS,
    TITLE_MODIFIERS,
)
from enrich.jobs.merge import TAGGER_MIN_SCORE
from enrich.jobs.nlp import EN_MODELS, FR_MODELS, get_nlp
from enrich.jobs.slots import parse_start_date, read_org, read_title
from enrich.jobs.stage import job_change_dedupe_key, job_changes_stage, mention_job_change_row

__all__ = [
    "CHANGE_HEAD_VERSION",
    "DEPARTMENTS",
    "EN_MODELS",
    "FILTERS_VERSION",
    "FR_MODELS",
    "METHOD",
    "ORG_HEADS",
    "RULES_VERSION",
    "TAGGER_MIN_SCORE",
    "TAGGER_VERSION",
    "TITLE_HEADS",
    "TITLE_MODIFIERS",
    "JobChangeFound",
    "detect_lang",
    "extract_job_changes",
    "get_nlp",
    "job_change_dedupe_key",
    "job_changes_stage",
    "mention_job_change_row",
    "normalise_inclusive",
    "parse_start_date",
    "read_org",
    "read_title",
    "rule_changes",
]
