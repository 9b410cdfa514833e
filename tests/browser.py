"""Checking a report page in headless Chromium: every image loads, no script error.

Shared by the report tests (tests/output/test_report.py, tests/optimise/test_optimise_report.py):
:func:`check_in_browser` injects a probe into a copy of the page, loads it with
``--dump-dom`` and returns what the probe saw; without a browser on PATH the test is
skipped (and fails under CI, which installs one).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")

# Injected into a copy of the report: record script errors from the start, and after
# the load event write what the images and errors were into the DOM for --dump-dom.
_CATCH = (
    "<script>window.__errors = []; window.addEventListener('error', "
    "e => window.__errors.push(String(e.message || 'resource failed: ' + e.target.src)), true);"
    "</script>"
)
_CHECK = (
    "<script>window.addEventListener('load', () => { const images = [...document.images];"
    "const out = document.createElement('pre'); out.id = 'peakend-check';"
    "out.textContent = JSON.stringify({images: images.length, broken: images.filter("
    "i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt), errors: window.__errors});"
    "document.body.appendChild(out); });</script>"
)


def browser() -> str:
    """The headless browser to use; skips the test (fails it under CI) when there is none."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    reason = f"no headless browser ({', '.join(BROWSERS)}) on PATH; .ci/run installs chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI: {reason}")
    pytest.skip(reason)


def check_in_browser(page: str, tmp_path: Path) -> dict:
    """What ``page`` showed in headless Chromium: ``images``, ``broken`` (their alt texts),
    ``errors`` (script errors and failed resources)."""
    page = page.replace("<head>", "<head>" + _CATCH, 1).replace("</body>", _CHECK + "</body>")
    path = tmp_path / "checked.html"
    path.write_text(page, encoding="utf-8")
    command = [
        browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        path.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    found = re.search(r'<pre id="peakend-check">(.*?)</pre>', done.stdout, flags=re.S)
    assert found, f"no check result in the DOM (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))
