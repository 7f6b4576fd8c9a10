"""enrich: job changes, matching of people to alumni, suggestions, routing."""
