"""``veille demo``: the production pipeline over replayed real responses.

The demo serves recorded API responses and feeds (see ``data/SOURCES.md``)
from a local HTTP server and points the configured sources at it; every
other line of code is the production path.
"""
