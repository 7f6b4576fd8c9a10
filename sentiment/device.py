"""Where torch runs: the device and the number of CPU threads.

A module of its own, with no import heavier than :mod:`veille.errors`, because the
training functions (:mod:`sentiment.train`, :func:`enrich.job_tagger.train_tagger`) also
run on a borrowed GPU machine that has torch but not the rest of veille's dependencies.
"""

from __future__ import annotations

import os

from veille.errors import ModelUnavailableError


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``."""
    if device not in ("auto", "cpu", "cuda") and not device.startswith("cuda:"):
        raise ModelUnavailableError(f"[sentiment] device must be auto, cpu or cuda, not {device!r}")
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def configure_threads(threads: int) -> int:
    """Intra-op threads for torch and ONNX Runtime (0 = one per CPU core)."""
    import torch

    n = threads if threads > 0 else max(1, len(os.sched_getaffinity(0)))
    torch.set_num_threads(n)
    return n
