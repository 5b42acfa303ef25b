"""Headless Chromium opens the HTML pack: every chart is decoded and visibly drawn in a screenshot.

Needs Debian's `chromium` package (`apt-get install -y chromium`); the test installs nothing itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from orchestration.reports.pack import build_pack
from tests.test_report_pack import MONTH, make_pack_home

pytestmark = pytest.mark.browser

WINDOW = (1280, 12000)
"""Tall enough for the whole pack in one screenshot; both runs use it, so the layout is the same."""


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        pytest.fail(
            "Chromium is not installed: the browser test needs Debian's package (apt-get install -y chromium)"
        )
    return found


def run_chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--force-device-scale-factor=1",
        "--hide-scrollbars",
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


class _Charts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, str | None]] = []
        self.body: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and dict(attrs).get("data-chart"):
            self.charts.append(dict(attrs))
        elif tag == "body":
            self.body = dict(attrs)


def test_chromium_draws_every_chart_of_the_pack(tmp_path: Path):
    result = build_pack(make_pack_home(tmp_path / "home"), MONTH)
    url = result.paths["html"].resolve().as_uri()
    screenshot = tmp_path / "pack.png"

    dom = run_chromium(tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom", url).stdout
    run_chromium(tmp_path / "profile", f"--screenshot={screenshot}", url)

    parsed = _Charts()
    parsed.feed(dom)
    names = {chart["data-chart"] for chart in parsed.charts}
    assert {"deficit_trajectory", "cost_per_placement_trend", "event_study", "spend_by_line"} <= names
    assert parsed.body.get("data-charts-rendered") == str(len(parsed.charts)), (
        "the page's load script did not run"
    )
    image = np.asarray(Image.open(screenshot).convert("RGB")).astype(int)
    assert image.shape[1] == WINDOW[0]
    for chart in parsed.charts:
        assert chart.get("data-rendered") == "true", f"{chart['data-chart']} was not decoded"
        left, top, width, height = (int(v) for v in re.findall(r"-?\d+", chart["data-box"] or ""))
        assert width > 300 and height > 150, chart["data-chart"]
        assert top + height <= image.shape[0], f"{chart['data-chart']} is below the screenshot"
        region = image[top + 2 : top + height - 2, left + 2 : left + width - 2]
        inked = (region.min(axis=2) < 200).mean()
        coloured = (region.max(axis=2) - region.min(axis=2) > 80).mean()
        assert inked > 0.01, f"{chart['data-chart']} is blank in the screenshot"
        assert coloured > 0.001, f"{chart['data-chart']} shows no coloured marks in the screenshot"
    masthead = image[5:60, 5 : WINDOW[0] - 5]
    assert (np.abs(masthead - [0x1D, 0x3A, 0x5F]).max(axis=2) < 10).mean() > 0.5, "page styles did not apply"
