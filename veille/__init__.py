"""veille: social-media listening and alumni enrichment for higher education.

The packages beside this one carry the data flow (crawlers -> sentiment/enrich
-> store -> reports); this package holds what ties them together: settings,
the registry of pluggable stages, the CLI and the demo.
"""

from __future__ import annotations

__version__ = "0.1.0"
