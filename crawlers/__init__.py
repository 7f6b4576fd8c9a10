"""crawlers: one module per source, behind the interface in ``crawlers.base``."""
