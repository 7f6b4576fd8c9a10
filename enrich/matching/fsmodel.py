"""The Fellegi-Sunter parameters (:class:`FSModel`) and their JSON form.

Why a module of its own: the model is data shared between hosts (a database
row) and the bundled default; reading, writing and versioning it must not
depend on how it is trained (:mod:`enrich.matching.em`) or used
(:mod:`enrich.matching.scoring`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from enrich.matching.levels import LEVELS

MODEL_VERSION = "veille-fs-2"
#: Earlier model versions still read: a field whose levels changed since is
#: left out of such a model (scored as missing) until it is retrained.
READABLE_VERSIONS = ("veille-fs-1", MODEL_VERSION)


#: m and u both under this: a level training never saw (the smoothing floor is
#: 1e-3 / number of levels of the observed pairs).
UNSEEN_LEVEL = 1e-3


@dataclass
class FSModel:
    """Fellegi-Sunter parameters: per field and level, m and u; match rate lambda."""

    m: dict[str, list[float]]
    u: dict[str, list[float]]
    lam: float
    #: u of exact agreement among *random* pairs, the baseline of TF adjustment.
    u_random_exact: dict[str, float] = field(default_factory=dict)
    trained: dict[str, Any] = field(default_factory=dict)
    version: str = MODEL_VERSION

    def prior(self, n_alumni: int) -> float:
        """P(match) of a random alumnus x profile pair for an index of this size.

        Stored as matches per profile, so a model trained on 200,000 alumni
        stays calibrated on another register size.
        """
        rate = self.trained.get("matches_per_profile")
        if rate is None or n_alumni <= 0:
            return self.lam
        return float(min(max(float(rate) / n_alumni, 1e-12), 0.5))

    def weights(self, fld: str) -> np.ndarray:
        """log2(m/u) per level of one field (levels run from "different" to "exact").

        A partial level that training never saw (m and u both at the smoothing
        floor) would weigh 0 and read as "says nothing", although agreeing in
        part is evidence between disagreeing and agreeing exactly: it gets the
        midpoint of those two weights. Every partial level is also kept within
        them, so partial agreement never outweighs exact agreement.
        """
        m = np.asarray(self.m[fld], dtype=float)
        u = np.asarray(self.u[fld], dtype=float)
        w = np.log2(np.clip(m, 1e-9, None) / np.clip(u, 1e-9, None))
        if len(w) > 2:
            low, high = float(w[0]), float(w[-1])
            if high > low:
                unseen = (m[1:-1] < UNSEEN_LEVEL) & (u[1:-1] < UNSEEN_LEVEL)
                inner = np.clip(w[1:-1], low, high)
                w[1:-1] = np.where(unseen, (low + high) / 2, inner)
        return w

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "levels": {f: list(LEVELS[f]) for f in self.m},
                "m": self.m,
                "u": self.u,
                "lambda": self.lam,
                "u_random_exact": self.u_random_exact,
                "trained": self.trained,
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> FSModel:
        data = json.loads(text)
        version = data.get("version")
        if version not in READABLE_VERSIONS:
            raise ValueError(f"model version {version!r} is not one of {READABLE_VERSIONS}")
        levels = data.get("levels", {})
        # A field whose levels changed since the model was trained is left out.
        same = [f for f in data["m"] if f in LEVELS and list(levels.get(f, [])) == list(LEVELS[f])]
        return cls(
            m={k: [float(x) for x in data["m"][k]] for k in same},
            u={k: [float(x) for x in data["u"][k]] for k in same},
            lam=float(data["lambda"]),
            u_random_exact={
                k: float(v) for k, v in data.get("u_random_exact", {}).items() if k in same
            },
            trained=dict(data.get("trained", {})),
            version=str(version),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> FSModel:
        return cls.from_json(path.read_text(encoding="utf-8"))
