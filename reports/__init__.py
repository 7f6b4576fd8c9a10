"""reports: jinja2 rendering of digests, weekly and brand reports (HTML/PDF/CSV)."""
