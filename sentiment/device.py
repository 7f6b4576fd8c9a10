"""Where models run: the torch device, the number of CPU threads, and what this CPU can do
(AMX for bfloat16 torch; whether int8 products saturate in ONNX Runtime).

A module of its own, with no import heavier than :mod:`veille.errors`, because the
training functions (:mod:`sentiment.train`, :func:`enrich.job_tagger_train.train_tagger`) also
run on a borrowed GPU machine that has torch but not the rest of veille's dependencies.
"""

from __future__ import annotations

import os

from veille.errors import ModelUnavailableError
from veille.i18n import _


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``."""
    if device not in ("auto", "cpu", "cuda") and not device.startswith("cuda:"):
        raise ModelUnavailableError(
            _("[sentiment] device must be auto, cpu or cuda, not %(device)s")
            % {"device": repr(device)}
        )
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


def cpu_has_amx() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (Intel AMX, 2023 Xeons on).

    Why it matters: on such a CPU (2 cores, 2026-12-03) torch in bfloat16 classifies the
    recorded posts at about 300 msg/s against 160 for the int8 ONNX graph, whose kernels
    do not use AMX; on CPUs without it bfloat16 is emulated and slower than float32.
    ``torch.cpu._is_amx_tile_supported`` is private, so any failure reads as "no".
    """
    import torch

    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe is not None and probe())
    except Exception:  # a private probe: absent or broken means no AMX path
        return False


def int8_products_saturate(
    features: dict[str, bool] | None = None, flags: set[str] | None = None
) -> bool:
    """Whether ONNX Runtime's default uint8 x int8 kernel saturates on this CPU.

    Why: on x86-64 CPUs with AVX2 but no VNNI, the default kernel adds pairs of products
    in int16 (``vpmaddubsw``), which 8-bit weights overflow; ONNX Runtime's exact kernel
    (``session.x64quantprecision``) avoids it, but on CPUs with VNNI that setting is not
    ignored: it made the routing encoder 48 % slower on an AVX-512 VNNI EPYC for the same
    vectors. So it is asked for only where it is needed. ``features`` is numpy's CPUID
    reading (it sees what the CPU really offers, also under an emulator); ``flags`` are the
    kernel's ``/proc/cpuinfo`` flags, read only for AVX-VNNI, which numpy does not report.
    """
    import platform

    if features is None:
        if platform.machine().lower() not in ("x86_64", "amd64"):
            return False
        features = _numpy_cpu_features()
    if not features.get("AVX2") or features.get("AVX512VNNI"):
        return False
    return "avx_vnni" not in (_cpuinfo_flags() if flags is None else flags)


def _numpy_cpu_features() -> dict[str, bool]:
    """numpy's runtime CPUID reading (a private attribute: absent means unknown, empty)."""
    import importlib

    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            found = getattr(importlib.import_module(name), "__cpu_features__", None)
        except ImportError:
            continue
        if isinstance(found, dict):
            return {str(k): bool(v) for k, v in found.items()}
    return {}


def _cpuinfo_flags() -> set[str]:
    from pathlib import Path

    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()
