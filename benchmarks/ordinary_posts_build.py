"""Rebuild ``benchmarks/data/ordinary_posts.jsonl``: real posts with no job news, FR and EN.

Why: a job-change extractor must stay silent on the ordinary traffic of a listening service
(tweets, toots, forum and blog posts, people telling their day). ``jobs_eval.py`` runs
``veille tag jobs`` over these posts and prints how many produce a job change, and how fast.

Nothing here is written for veille; every line keeps its source and licence
(``benchmarks/data/SOURCES.md``):

* the post texts of the recorded API responses and feeds of other projects' test suites
  (``--fixtures``: the folder that holds ``twitter/``, ``mastodon/``, ``bluesky/``,
  ``reddit/``, ``rss/`` with their SOURCES.md), one line per distinct text;
* UD English-EWT (``--ewt``: a checkout of UniversalDependencies/UD_English-EWT, CC BY-SA
  4.0): the web posts of its dev and test files (weblogs, newsgroups, e-mails, answers,
  reviews), one line per paragraph;
* UD French-ParisStories (``--parisstories``: a checkout of
  UniversalDependencies/UD_French-ParisStories, CC BY-SA 4.0): first-person stories told by
  Parisians, one line per three consecutive sentences of a story.

Run: ``python benchmarks/ordinary_posts_build.py --fixtures DIR --ewt DIR --parisstories DIR``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recorded_posts import recording_texts  # noqa: E402
from enrich.jobs import detect_lang  # noqa: E402

OUT = ROOT / "benchmarks" / "data" / "ordinary_posts.jsonl"
FIXTURE_LICENCES = {
    "twitter": "MIT (tweepy/tweepy recordings)",
    "mastodon": "MIT (halcy/Mastodon.py recordings)",
    "bluesky": "MIT (christopherkenny/bskyr recordings)",
    "reddit": "BSD-2-Clause (praw-dev/praw recordings)",
    "rss": "per feed, see tests/fixtures/rss/SOURCES.md",
}
MIN_CHARS = 20
#: Posts that do tell a job change, found when the extractor fired on them and read by a
#: person (the start of their text): kept, marked ``"job_news": true``, so that the rate of
#: changes on ordinary posts counts only the others. The benchmark prints both.
JOB_NEWS = (
    "A new chapter and a new hat: Excited to share that I'll be joining Princeton DDSS",
    "Welcome Darin! I just want to extend a big",
    'Me and the big "G" Following on the heels of Ben\'s annoucement yesterday',
    "I want to use this opportunity to welcome Brian Ryner to Google!",
    "Today is my last day in the office here at Azurix",
    "Sheila Tweed 03/26/2001 08:58 PM Mary Hain 03/23/2001 12:24 PM I am going to be the",
    "Nadège Mariotti, Doctorante en Cinéma Audio-Visuel",
)


def fixture_posts(root: Path) -> Iterator[tuple[str, str, str]]:
    """(text, source, licence) of every post text of the recordings."""
    for path, text in recording_texts(root, tuple(FIXTURE_LICENCES)):
        platform = path.relative_to(root).parts[0]
        yield text, f"fixtures/{path.relative_to(root)}", FIXTURE_LICENCES[platform]


def conllu_texts(path: Path) -> Iterator[tuple[str, str, str, str]]:
    """(doc id, paragraph id, sentence id, text) of each sentence of a CoNLL-U file."""
    doc = par = sent = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# newdoc id = "):
            doc = line.split("= ", 1)[1]
        elif line.startswith("# newpar id = "):
            par = line.split("= ", 1)[1]
        elif line.startswith("# sent_id = "):
            sent = line.split("= ", 1)[1]
        elif line.startswith("# text = "):
            yield doc, par, sent, line.split("= ", 1)[1]


def ewt_posts(repo: Path) -> Iterator[tuple[str, str, str]]:
    """One post per paragraph of the EWT dev and test files."""
    for name in ("en_ewt-ud-dev.conllu", "en_ewt-ud-test.conllu"):
        paragraphs: dict[str, list[str]] = {}
        for _doc, par, _sent, text in conllu_texts(repo / name):
            paragraphs.setdefault(par, []).append(text)
        for par, sentences in paragraphs.items():
            yield " ".join(sentences), f"UD_English-EWT/{name}#{par}", "CC BY-SA 4.0"


def parisstories_posts(repo: Path) -> Iterator[tuple[str, str, str]]:
    """Three consecutive sentences of one story per post."""
    for split in ("train", "dev", "test"):
        name = f"fr_parisstories-ud-{split}.conllu"
        story: list[tuple[str, str]] = []
        current = ""
        rows = [
            (sent.rsplit("_", 1)[0], sent, text) for _d, _p, sent, text in conllu_texts(repo / name)
        ]
        for key, sent, text in [*rows, ("", "", "")]:
            if key != current or len(story) == 3:
                if story:
                    yield (
                        " ".join(t for _, t in story),
                        f"UD_French-ParisStories/{name}#{story[0][0]}",
                        "CC BY-SA 4.0",
                    )
                story = []
                current = key
            if text:
                story.append((sent, text))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fixtures", type=Path, required=True)
    ap.add_argument("--ewt", type=Path, required=True)
    ap.add_argument("--parisstories", type=Path, required=True)
    args = ap.parse_args()
    seen: set[str] = set()
    out = []
    sources = (
        fixture_posts(args.fixtures),
        ewt_posts(args.ewt),
        parisstories_posts(args.parisstories),
    )
    for found in sources:
        for text, source, licence in found:
            text = " ".join(text.split())
            if len(text) < MIN_CHARS or text in seen:
                continue
            seen.add(text)
            lang = {"UD_English-EWT": "en", "UD_French-ParisStories": "fr"}.get(
                source.split("/", 1)[0]
            ) or detect_lang(text)
            row = {"lang": lang, "text": text, "source": source, "licence": licence}
            if text.startswith(JOB_NEWS):
                row["job_news"] = True
            out.append(row)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), "utf-8")
    print(f"{len(out)} posts -> {OUT}")


if __name__ == "__main__":
    main()
