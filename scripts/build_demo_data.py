"""Copy the recorded responses the demo replays from ../shared/fixtures.

Run from the repository root: ``python scripts/build_demo_data.py``. The
copies (with their provenance in SOURCES.md) are committed as package data
so ``veille demo`` never needs ../shared at run time.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "fixtures"
DEST = ROOT / "veille" / "demo" / "data"

FILES = {
    "rss/unm-backend_univ-paris3_001.rss": "rss/univ-paris3.rss",
    "rss/unm-backend_univ-paris10_001.rss": "rss/univ-paris10.rss",
    "rss/unm-backend_epi-univ-paris1_001.rss": "rss/univ-paris1.rss",
    "rss/rss-parser_feed-test-source.xml": "rss/google-actualites.xml",
    "rss/rss-parser_feed-test-malformed.xml": "rss/malformed.xml",
    "twitter/v2_bodies/test_client_search_recent_tweets__0.json": "twitter/search_recent.json",
    "twitter/v2_bodies/test_client_get_users_mentions__0.json": "twitter/mentions.json",
    "mastodon/bodies/test_entity_searchv2__2.json": "mastodon/search.json",
    "bluesky/bodies/f_search__0.json": "bluesky/search_posts.json",
    "reddit/bodies/TestSubreddit.test_search__1.json": "reddit/search.json",
    "profile_pages/trafilatura_pages/thebalance.com.coinbase.html": "profiles/thebalance.html",
    "profile_pages/trafilatura_pages/tonight.de-Arschloch.html": "profiles/tonight.html",
}


def main() -> None:
    for src, dst in FILES.items():
        target = DEST / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED / src, target)
        print(f"{src} -> {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
