"""Screenshots of a running Casebook at desktop and phone widths (headless Debian Chromium).

Usage: python scripts/screenshots.py [BASE_URL] [OUTDIR] [PATH ...]
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"desktop": (1280, 900), "phone": (360, 740)}


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    outdir = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
    paths = sys.argv[3:] or ["/"]
    outdir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, (width, height) in WIDTHS.items():
            for scheme in ("light", "dark"):
                page = browser.new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
                for path in paths:
                    page.goto(base + path)
                    slug = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                    target = outdir / f"{slug}-{name}-{scheme}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
                page.close()
        browser.close()


if __name__ == "__main__":
    main()
