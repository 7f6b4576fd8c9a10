"""Top terms are counted folded but shown as the posts wrote them."""

from __future__ import annotations

from reports.text import top_terms


def test_top_terms_keep_the_accents_people_wrote() -> None:
    window = [
        "Grève à l'Université : les étudiants bloquent l'amphi",
        "Encore une grève à l'université aujourd'hui",
        "GREVE à la fac, université fermée",
    ]
    baseline = ["Conférence sur le climat", "Rentrée des masters"]
    found = dict(top_terms(iter(window), baseline, limit=4))
    assert found.get("grève") == 3  # two of three wrote the accent; counted once per post
    assert found.get("université") == 3
    assert "greve" not in found and "universite" not in found


def test_an_honorific_is_no_theme() -> None:
    """ "Soutenance de thèse de Mme X" four times made "mme" a theme of the demo's report."""
    from reports.text import top_terms

    texts = [f"Soutenance de thèse de Mme {n}, laboratoire de linguistique" for n in "ABCD"]
    assert "mme" not in {t.casefold() for t, _ in top_terms(texts)}
