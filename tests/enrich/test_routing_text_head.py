"""The character n-gram text head of routing: fit, storage, mixing, selection by CV."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from enrich.routing_model import Head, load_head
from enrich.routing_text_head import (
    TEXT_HEAD_FILE,
    fit_text_head,
    load_text_head,
    mix,
)
from enrich.routing_train import train

# Real phrasings would be better, but the point here is the mechanics: each team has its own
# domain words, in inflected forms the test texts vary.
TEXTS = {
    "it": ["mot de passe oublié ENT", "réinitialiser mon mot de passe", "wifi eduroam en panne"],
    "research": ["soutenance de thèse doctorale", "laboratoire de recherche", "thèse en cotutelle"],
    "hr": ["offre d'emploi CDD administratif", "recrutement d'un ingénieur", "contrat de travail"],
}


def _rows() -> tuple[list[str], list[str]]:
    texts = [t for team in TEXTS for t in TEXTS[team] for _ in range(2)]
    teams = [team for team in TEXTS for t in TEXTS[team] for _ in range(2)]
    return texts, teams


def test_text_head_round_trips_through_its_file(tmp_path: Path) -> None:
    texts, teams = _rows()
    head = fit_text_head(texts, teams)
    probe = ["mes mots de passe", "les thèses doctorales", "un recrutement en CDD"]
    want = head.predict_proba(probe)
    assert [head.classes[i] for i in want.argmax(1)] == ["it", "research", "hr"]
    head.save(tmp_path)
    again = load_text_head(tmp_path)
    assert again is not None and again.classes == head.classes
    assert np.allclose(again.predict_proba(probe), want, atol=1e-6)
    assert load_text_head(tmp_path / "none") is None


def test_mix_is_a_product_of_experts_with_neutral_unknown_classes() -> None:
    probs = np.array([[0.5, 0.3, 0.2], [0.0, 0.0, 0.0]], dtype=np.float32)
    text = np.array([[0.1, 0.9], [0.5, 0.5]], dtype=np.float32)  # knows "b" and "c" only
    assert mix(probs, ["a", "b", "c"], text, ["b", "c"], 0.0) is probs
    out = mix(probs, ["a", "b", "c"], text, ["b", "c"], 1.0)
    expected = np.array([0.5 * 0.5, 0.3 * 0.1, 0.2 * 0.9])  # "a" gets the row's mean, 0.5
    assert np.allclose(out[0], expected / expected.sum(), atol=1e-6)
    assert not out[1].any()  # an unscored row stays unscored


def test_training_chooses_the_text_weight_by_grouped_cv_and_saves_the_head(
    tmp_path: Path,
) -> None:
    """Vectors that cannot tell the teams apart, texts that can: the text head gets weight."""
    rng = np.random.default_rng(0)
    texts, teams = [], []
    for src in range(4):
        for team, phrases in TEXTS.items():
            for p in phrases:
                texts.append(f"{p} {src}")
                teams.append(team)
    x = rng.standard_normal((len(texts), 8)).astype(np.float32)  # noise: no team signal
    groups = [f"s{i % 4}#{t}" for i, t in enumerate(teams)]
    head, report = train(x, teams, groups, c_grid=(1.0,), texts=texts)
    cv = report["cv_text_weight"]
    assert report["text_weight"] > 0 and cv[str(report["text_weight"])] > cv["0.0"]
    assert head.text_head is not None and head.text_weight == report["text_weight"]
    head.save(tmp_path / "h")
    loaded = load_head(tmp_path / "h")
    assert loaded.text_weight == head.text_weight
    probe = ["réinitialiser le wifi", "soutenance en laboratoire"]
    mixed = loaded.predict_proba(rng.standard_normal((2, 8)).astype(np.float32), probe)
    assert [loaded.classes[i] for i in mixed.argmax(1)] == ["it", "research"]
    # vector-only lines (no text): no text head, and an old text head file is removed
    plain, plain_report = train(x, teams, groups, c_grid=(1.0,), texts=[""] * len(texts))
    assert plain.text_head is None and plain_report["text_weight"] == 0.0
    plain.save(tmp_path / "h")
    assert not (tmp_path / "h" / TEXT_HEAD_FILE).exists()
    assert load_head(tmp_path / "h").text_head is None


def test_a_head_without_texts_ignores_them() -> None:
    head = Head(["a", "b"], np.eye(2, dtype=np.float32), np.zeros(2, dtype=np.float32), {})
    x = np.array([[2.0, 0.0]], dtype=np.float32)
    assert np.allclose(head.predict_proba(x, ["anything"]), head.predict_proba(x))


def test_shipped_lines_find_their_text_in_the_repository_and_only_there() -> None:
    """The text head's data: the vendored training files' lines, found again by hash."""
    from enrich.routing_model import HEAD_DIR
    from enrich.routing_pipeline import load_shipped
    from enrich.routing_train import EmbeddingCache

    ds = load_shipped(HEAD_DIR)
    with_text = [(k, t) for k, t in zip(ds.keys, ds.texts, strict=True) if t]
    assert len(with_text) >= 900  # the listening-kind, HR and FAQ lines of the repository
    assert len(with_text) < len(ds.keys)  # the chatbot and helpdesk sources ship as vectors
    assert all(EmbeddingCache.key(t) == k for k, t in with_text)


def test_too_few_texts_leave_the_embedding_head_alone() -> None:
    """One team's texts, or two texts with no n-gram seen twice: no text head, no error."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 4)).astype(np.float32)
    teams = ["it"] * 6 + ["hr"] * 6
    groups = [f"s{i % 3}#{t}" for i, t in enumerate(teams)]
    one_team = ["mot de passe"] * 6 + [""] * 6
    head, report = train(x, teams, groups, c_grid=(1.0,), texts=one_team)
    assert head.text_head is None and report["text_weight"] == 0.0
    two = ["zq"] + [""] * 5 + ["xw"] + [""] * 5
    head, _ = train(x, teams, groups, c_grid=(1.0,), texts=two)
    assert head.text_weight == 0.0
