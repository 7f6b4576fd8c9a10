"""The README's pictures, taken from `make demo`'s output and its web UI.

Usage, after `make demo`, with `veille -c out/demo/veille.toml serve --dev` running and the logins
`alumni` (alumni_officer) and `community` (community_manager) created with the password in
``VEILLE_DEMO_PASSWORD``::

    VEILLE_DEMO_PASSWORD=... python scripts/demo_screenshots.py \
        http://127.0.0.1:8000 out/demo docs/img
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

VIEWPORT = {"width": 1280, "height": 900}
FILES = (
    ("weekly-*.html", "weekly-report.png"),
    ("brand-*.html", "brand-report.png"),
    ("digest-*.html", "alert-digest.png"),
)
PAGES = (("alumni", "/review", "review-inbox.png"), ("community", "/alerts", "alerts.png"))


def main(base: str, demo: Path, out: Path) -> int:
    password = os.environ["VEILLE_DEMO_PASSWORD"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport=VIEWPORT, locale="fr-FR")  # type: ignore[arg-type]
        for pattern, name in FILES:
            page.goto(sorted(demo.glob(pattern))[0].as_uri())
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / name))
        for login, path, name in PAGES:
            context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")  # type: ignore[arg-type]
            tab = context.new_page()
            tab.goto(f"{base}/login?next={path}")
            tab.fill("#username", login)
            tab.fill("#password", password)
            tab.click("button[type=submit], input[type=submit]")
            tab.wait_for_load_state("networkidle")
            if not tab.url.endswith(path):
                tab.goto(base + path)
                tab.wait_for_load_state("networkidle")
            tab.screenshot(path=str(out / name))
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
