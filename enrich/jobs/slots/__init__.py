"""Slot readers: the person, organisation, title and start date around a trigger.

Each reader takes a spaCy :class:`~spacy.tokens.Doc` and token bounds and returns the tokens
it read (empty when the slot is not there), so that values are cut from the original text.
"""

from enrich.jobs.slots.dates import parse_start_date
from enrich.jobs.slots.org import (
    after_title_org,
    board_or_head_org,
    only_place,
    org_after_de,
    org_forward,
    org_subject,
    read_org,
)
from enrich.jobs.slots.person import name_before, person_after, person_before, strip_honorific
from enrich.jobs.slots.title import is_award, read_title, title_forward

__all__ = [
    "after_title_org",
    "board_or_head_org",
    "is_award",
    "name_before",
    "only_place",
    "org_after_de",
    "org_forward",
    "org_subject",
    "parse_start_date",
    "person_after",
    "person_before",
    "read_org",
    "read_title",
    "strip_honorific",
    "title_forward",
]
