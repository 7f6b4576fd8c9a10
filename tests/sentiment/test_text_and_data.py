from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sentiment.batching import iter_padded, length_buckets, shuffled_buckets
from sentiment.data import load_umsab, read_split
from sentiment.langid import detect_language
from sentiment.text import normalise_tweet
from veille.errors import ImportFileError


def test_normalise_tweet_matches_benchmark_preprocessing():
    assert normalise_tweet("@Univ_Exemple bravo !  https://t.co/abc") == "@user bravo ! http"
    assert normalise_tweet("mail a@b.fr @ seul") == "mail a@b.fr @ seul"
    assert normalise_tweet("  line\nbreak\t ") == "line break"
    assert normalise_tweet(normalise_tweet("@x http://y")) == "@user http"


def test_length_buckets_cover_every_index_once():
    lengths = [5, 1, 9, 3, 7, 2, 8]
    batches = length_buckets(lengths, 3)
    flat = np.concatenate(batches).tolist()
    assert sorted(flat) == list(range(7))
    assert [lengths[i] for i in batches[0]] == [9, 8, 7]
    rng = np.random.default_rng(0)
    shuffled = shuffled_buckets(lengths, 2, rng)
    assert sorted(np.concatenate(shuffled).tolist()) == list(range(7))


def test_dynamic_padding_pads_each_batch_to_its_longest():
    ids = [[0, 5, 2], [0, 5, 6, 7, 8, 2], [0, 2]]
    widths = {}
    for idx, input_ids, mask in iter_padded(ids, 2, pad_id=1):
        for row, i in enumerate(idx):
            assert input_ids[row, : len(ids[i])].tolist() == ids[i]
            assert mask[row].sum() == len(ids[i])
        widths[tuple(sorted(idx.tolist()))] = input_ids.shape[1]
    assert widths == {(0, 1): 6, (2,): 2}


def test_umsab_reader(tiny_umsab: Path):
    sets = load_umsab(tiny_umsab, "train")
    assert set(sets) == {"french", "english"}
    assert len(sets["french"]) == 12
    assert {e.label for e in sets["french"]} == {0, 1, 2}
    only = load_umsab(tiny_umsab, "val", ["english"])
    assert set(only) == {"english"}


def test_umsab_reader_rejects_misaligned_files(tmp_path: Path):
    (tmp_path / "train_text.txt").write_text("a\nb\n", encoding="utf-8")
    (tmp_path / "train_labels.txt").write_text("0\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="2 lines"):
        read_split(tmp_path, "train")
    (tmp_path / "train_labels.txt").write_text("0\n7\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="line 2"):
        read_split(tmp_path, "train")


def test_language_detection_offline():
    assert (
        detect_language("Bravo à toute l'équipe pour cette belle rentrée universitaire !") == "fr"
    )
    assert detect_language("Congratulations to all the graduates of this year!") == "en"
    assert detect_language("@user http") is None
    assert detect_language("") is None


#: The library's messages are asserted here in English (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("english_messages")
