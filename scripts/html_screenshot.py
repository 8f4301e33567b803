"""Draw docs/html-report.png: the HTML page of a failing run, as headless Chromium shows it at 1280×800.

The run is the built-in default problem with the untransposed-W bug injected (W instead of Wᵀ in 10.21). Needs the
playwright package (pip install playwright) and a Chromium: /usr/bin/chromium (Debian: apt-get install chromium), or
the one named by $CHROMIUM. Usage: python scripts/html_screenshot.py [OUTPUT.png]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from gradcheck.book.bugs import BUGS
from gradcheck.check.config import Config
from gradcheck.check.run import run
from gradcheck.render.html import run_page

ROOT = Path(__file__).resolve().parent.parent
BUG = "untransposed-W"


def screenshot(output: Path, width: int = 1280, height: int = 800) -> None:
    """Render the failing run's page to a file, open it in headless Chromium and save the viewport as a PNG."""
    from playwright.sync_api import sync_playwright

    page_text = run_page(run(Config(), BUGS[BUG]), "built-in default")
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "report.html"
        page_file.write_text(page_text, encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True)
            try:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(page_file.as_uri(), wait_until="load")
                output.write_bytes(page.screenshot())
            finally:
                browser.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "html-report.png"
    screenshot(target)
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")
