"""Exclusion checks for a new frozen evaluation part (jobs or routing), before it is committed.

Why: a held-out part is only worth its score if none of its texts, sites, repositories or
institutions already reached the repository or the shared working material. ``hosts`` builds the
index of everything seen; ``check`` vets a candidate file against it and prints counts only.
"""
