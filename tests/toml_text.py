"""TOML text for the configurations tests write (no TOML writer is installed).

Why one module: the crawler and scheduler tests each serialised veille.toml values by hand,
with slightly different rules (one left dict keys bare); one writer keeps them alike.
"""

from __future__ import annotations

import json


def toml_value(v: object) -> str:
    """``v`` as a TOML value (bool, number, string, list, inline table with quoted keys)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no TOML value for {type(v).__name__}: {v!r}")
