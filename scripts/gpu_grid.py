"""Train several sentiment recipes and job taggers at once on one GPU, in a time budget.

Why: issue #24 asks for the recipe to be chosen by validation among several
mixtures (the 47,378-tweet English pool, DEFT 2017, the six other UMSAB
languages) and levers (caps, LoRA rank), and a borrowed GPU machine is lent
for minutes. One e5-small LoRA run leaves an H200 mostly idle, so the
recipes run side by side, one process each (two CPU threads apiece), each
through :func:`sentiment.train.train`, the function behind ``veille
sentiment train``. Every run selects its checkpoint on the UMSAB French and
English validation splits only and keeps every evaluated checkpoint, so that
the int8 export of the winners can be validated afterwards on a CPU. The
job-change tagger runs (``kind: tagger``) go through
:func:`enrich.job_tagger_train.train_tagger`, the function behind ``veille
job-tagger train``; they are selected afterwards, here, with
``benchmarks/jobs_eval.py`` on the development half (the GPU machine has no
spaCy).

At the deadline the runs still going are stopped (their best checkpoint so
far stays), end-to-end msg/s of the best run is measured on the GPU
(tokenising included, merged model, float32 and bfloat16), and the results
are packed under ``--out`` within the transfer limits (at most 8 files).

Usage, on the GPU machine, after ``scripts/gpu_bundle.py`` here:
``python3 scripts/gpu_grid.py --bundle .gpu --out $OUT --deadline 420``
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentiment.convert import E5Header, bert_config, dequantize, to_state_dict

POOL = "semeval2017_4a_en"
DEFT = "deft2017_fr"
FR_EN = ["french", "english"]

#: The recipes, as ``TrainConfig`` fields (``extra`` names folders of the data bundle).
RUNS: dict[str, dict[str, Any]] = {
    "r01_pool3k": {"extra": [POOL], "extra_caps": {POOL: 3000}, "epochs": 3.0},
    "r02_pool3k_seed29": {"extra": [POOL], "extra_caps": {POOL: 3000}, "epochs": 3.0, "seed": 29},
    "r03_pool12k": {"extra": [POOL], "extra_caps": {POOL: 12000}, "epochs": 3.0},
    "r04_pool_all": {"extra": [POOL], "epochs": 2.0, "evals_per_epoch": 6},
    "r05_pool_all_deft": {"extra": [POOL, DEFT], "epochs": 2.0, "evals_per_epoch": 6},
    "r06_pool12k_deft1500": {
        "extra": [POOL, DEFT],
        "extra_caps": {POOL: 12000, DEFT: 1500},
        "epochs": 3.0,
    },
    "r07_8langs_pool_all_deft": {
        "extra": [POOL, DEFT],
        "languages": [],
        "max_train_other_languages": 1000,
        "epochs": 2.0,
        "evals_per_epoch": 6,
    },
    "r08_pool12k_rank32": {
        "extra": [POOL],
        "extra_caps": {POOL: 12000},
        "epochs": 3.0,
        "rank": 32,
        "alpha": 64.0,
    },
    "r09_pool12k_rank32_seed29": {
        "extra": [POOL],
        "extra_caps": {POOL: 12000},
        "epochs": 3.0,
        "rank": 32,
        "alpha": 64.0,
        "seed": 29,
    },
    "r10_pool12k_rank24": {
        "extra": [POOL],
        "extra_caps": {POOL: 12000},
        "epochs": 3.0,
        "rank": 24,
        "alpha": 48.0,
    },
    "t1_tagger_default": {"kind": "tagger"},
    "t2_tagger_10ep": {"kind": "tagger", "epochs": 10},
    "t3_tagger_rank32": {"kind": "tagger", "epochs": 8, "rank": 32, "alpha": 64.0},
    "t4_tagger_seed29": {"kind": "tagger", "seed": 29},
}
#: Transfer limits of the GPU machine's $OUT (per file and in all), with a margin.
FILE_LIMIT = 16 * 2**20
TOTAL_LIMIT = 60 * 2**20


def rebuild_base(bundle: Path, dst: Path) -> Path:
    """Write a ``BertModel`` folder from the bundle's 4-bit blocks (unused rows zero)."""
    from safetensors.numpy import save_file

    src = bundle / "base"
    meta = json.loads((src / "weights.json").read_text(encoding="utf-8"))
    header = E5Header(**meta["header"])
    arrays = np.load(src / "weights.npz")
    tensors: dict[str, np.ndarray] = {}
    for name, info in meta["tensors"].items():
        values = dequantize(int(info["dtype"]), int(info["n"]), arrays[name].tobytes())
        if name == "emb.word":
            full = np.zeros((header.vocab, header.hidden), dtype=np.float32)
            full[arrays["emb.word.ids"]] = values.reshape(-1, header.hidden)
            values = full.reshape(-1)
        tensors[name] = values
    dst.mkdir(parents=True, exist_ok=True)
    save_file(
        to_state_dict(header, tensors), str(dst / "model.safetensors"), metadata={"format": "pt"}
    )
    (dst / "config.json").write_text(json.dumps(bert_config(header), indent=2), encoding="utf-8")
    for name in ("tokenizer_config.json", "special_tokens_map.json", "SOURCE.json"):
        (dst / name).write_bytes((src / name).read_bytes())
    (dst / "tokenizer.json").write_bytes(lzma.decompress((src / "tokenizer.json.xz").read_bytes()))
    return dst


def run_tagger(name: str, spec: dict[str, Any], base: Path, out: Path, max_steps: int) -> None:
    """One tagger through the same ``train_tagger`` as ``veille job-tagger train``."""
    from enrich.job_tagger_train import (
        TaggerConfig,
        default_training_files,
        read_rows,
        train_tagger,
    )

    files = default_training_files()
    cfg = TaggerConfig(threads=1, files=[f.name for f in files], max_steps=max_steps, **spec)
    train_tagger(
        read_rows(files), out / name, cfg, progress=lambda m: print(m, flush=True), base_dir=base
    )


def run_one(name: str, data: Path, base: Path, out: Path, max_steps: int = 0) -> None:
    """One recipe through the same ``train`` as ``veille sentiment train``."""
    from sentiment.train import TrainConfig, train

    spec = dict(RUNS[name])
    if spec.pop("kind", "sentiment") == "tagger":
        run_tagger(name, spec, base, out, max_steps)
        return
    extra = [str(data / folder) for folder in spec.pop("extra", [])]
    fields: dict[str, Any] = {
        "max_length": 96,
        "languages": list(FR_EN),
        "floors": {"french": 0.74, "english": 0.73},
        "keep_checkpoints": True,
        "threads": 1,
        "extra_train": extra,
        "max_steps": max_steps,
    }
    cfg = TrainConfig(**{**fields, **spec})
    train(data / "umsab", out / name, base, cfg, progress=lambda m: print(m, flush=True))


def selection(run_dir: Path) -> dict[str, Any] | None:
    """A sentiment run's selected checkpoint and history, or a tagger's step count."""
    path = run_dir / "adapter_config.json"
    if not path.exists():
        return None
    meta = json.loads(path.read_text(encoding="utf-8"))
    if "selected" not in meta:
        return {"steps": meta.get("steps")}
    return {"selected": meta["selected"], "history": meta["history"]}


def speed(run_dir: Path, base: Path, data: Path) -> dict[str, float]:
    """End-to-end msg/s of the merged model on the GPU (tokenising included)."""
    import torch
    from transformers import BertForSequenceClassification

    from sentiment.lora import merge_adapter_dir
    from sentiment.train import predict_proba_torch

    model = BertForSequenceClassification.from_pretrained(str(base), num_labels=3)
    merge_adapter_dir(model, model.bert.encoder.layer, run_dir)
    model = model.cuda().eval()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    texts = (data / POOL / "val_text.txt").read_text(encoding="utf-8").splitlines() * 5
    result: dict[str, float] = {"texts": float(len(texts))}
    preds = {}
    for label, dtype in (("float32", None), ("bfloat16", torch.bfloat16)):
        for _ in range(2):  # the first pass warms kernels up
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            with torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None):
                probs = predict_proba_torch(model, tokenizer, texts, 256, 96)
            torch.cuda.synchronize()
            elapsed = time.perf_counter() - t0
        preds[label] = probs.argmax(1)
        result[f"{label}_msg_per_s"] = len(texts) / elapsed
    result["bf16_agreement"] = float((preds["float32"] == preds["bfloat16"]).mean())
    return result


def pack(out: Path, runs: Path, ranked: list[str], summary: dict[str, Any]) -> None:
    """Summary, logs, the finished taggers, the best sentiment runs and the winner's runners-up.

    One sentiment adapter per file (a rank-32 one is 11 MB, a file may carry 16 MB), in
    order of value, until the total would pass the transfer limit.
    """
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    with tarfile.open(out / "logs.tar.xz", "w:xz") as tar:
        for log in sorted(runs.glob("*.log")):
            tar.add(log, arcname=log.name)
    files = ("adapter.safetensors", "adapter_config.json")
    taggers = [n for n, info in summary["runs"].items() if info.get("steps")]
    if taggers:
        with tarfile.open(out / "taggers.tar", "w") as tar:
            for name in taggers:
                for f in files:
                    tar.add(runs / name / f, arcname=f"{name}/{f}")
    wanted = [(f"best_{i}.tar", runs / name, name) for i, name in enumerate(ranked[:3], 1)]
    if ranked:
        chosen = summary["runs"][ranked[0]]["selected"]["step"]
        others = sorted(
            (
                (json.loads((c / "adapter_config.json").read_text())["selected"], c)
                for c in (runs / ranked[0] / "checkpoints").glob("step-*")
                if (c / "adapter_config.json").exists()
            ),
            key=lambda x: tuple(x[0]["key"]),
            reverse=True,
        )
        picked = [c for sel, c in others if sel["step"] != chosen][:2]
        wanted += [
            (f"checkpoints_{i}.tar", c, f"{ranked[0]}/{c.name}") for i, c in enumerate(picked, 1)
        ]
    used = sum(f.stat().st_size for f in out.iterdir())
    for filename, folder, arcname in wanted:
        size = sum((folder / f).stat().st_size for f in files) + 10_240
        if size > FILE_LIMIT or used + size > TOTAL_LIMIT:
            print(f"left out {arcname}: transfer limit")
            continue
        with tarfile.open(out / filename, "w") as tar:
            for f in files:
                tar.add(folder / f, arcname=f"{arcname}/{f}")
        used += (out / filename).stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=Path(".gpu"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "veille_gpu")
    parser.add_argument("--deadline", type=float, default=420.0, help="seconds for training")
    parser.add_argument("--only", default="", help="comma-separated run names (default: all)")
    parser.add_argument("--max-steps", type=int, default=0, help="smoke test: stop each run")
    parser.add_argument("--one", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data, base, runs = args.work / "data", args.work / "base", args.work / "runs"
    if args.one:
        run_one(args.one, data, base, runs, args.max_steps)
        return
    started = time.monotonic()
    with tarfile.open(args.bundle / "sentiment_data.tar.xz") as tar:
        tar.extractall(data, filter="data")
    rebuild_base(args.bundle, base)
    runs.mkdir(parents=True, exist_ok=True)
    print(f"base rebuilt in {time.monotonic() - started:.0f}s", flush=True)
    names = [n for n in (args.only.split(",") if args.only else RUNS) if n]
    procs = {}
    for name in names:
        log = (runs / f"{name}.log").open("w")
        command = [sys.executable, __file__, "--work", str(args.work), "--one", name]
        command += ["--max-steps", str(args.max_steps), "--out", str(args.out)]
        procs[name] = subprocess.Popen(  # noqa: S603 (this script, names from RUNS)
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "2"},
        )
    while any(p.poll() is None for p in procs.values()):
        if time.monotonic() - started > args.deadline:
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            time.sleep(5)
            break
        time.sleep(5)
    summary: dict[str, Any] = {"runs": {}, "spec": {n: RUNS[n] for n in names}}
    for name, p in procs.items():
        info = selection(runs / name) or {}
        info["returncode"] = p.poll()
        summary["runs"][name] = info
        sel = info.get("selected", {})
        print(f"{name}: rc={p.poll()} step={sel.get('step')} {json.dumps(sel.get('scores'))}")
    ranked = sorted(
        (n for n in names if summary["runs"][n].get("selected")),
        key=lambda n: tuple(summary["runs"][n]["selected"]["key"]),
        reverse=True,
    )
    summary["ranked"] = ranked
    if ranked:
        try:
            summary["speed"] = speed(runs / ranked[0], base, data)
            print(f"speed: {json.dumps(summary['speed'])}")
        except Exception as exc:  # the adapters matter more than the timing
            summary["speed_error"] = repr(exc)
            print(f"speed failed: {exc!r}")
    pack(args.out, runs, ranked, summary)
    print(f"done in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
