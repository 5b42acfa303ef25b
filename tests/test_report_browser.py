"""Headless Chromium opens the HTML pack: every chart is drawn, axe-core finds no WCAG 2.2 AA violation,
and every table fits a 1280 px window.

Needs Debian's `chromium` package and axe-core, pinned in `tests/support/axe-core.pin`, which
`./scripts/test` fetches once with `npm pack` into `.cache/` (git-ignored); the test installs nothing itself.
Chromium is driven the simplest robust way, without a DevTools client: the test writes a copy of the pack
with axe-core and a small runner script inlined, and `chromium --headless --dump-dom` prints the page once
the runner has written its results into it.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from orchestration.reports.pack import build_pack
from orchestration.settings import PROJECT_ROOT
from tests.conftest import DEMO_LATEST_MONTH, DemoRun
from tests.test_report_pack import MONTH, SMALL_COUNTY, make_pack_home

pytestmark = pytest.mark.browser

WINDOW = (1280, 16000)
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
    assert {
        "deficit_trajectory",
        "cost_per_placement_trend",
        "event_study",
        "spend_by_line",
        "outcome_trends",
    } <= names
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


AXE_PIN = PROJECT_ROOT / "tests" / "support" / "axe-core.pin"
WCAG_22_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
AXE_WINDOW = (1280, 900)
RUNNER = """
<script>
  // Runs axe-core once the page has loaded, then writes its violations and the widths of the page and of
  // each table into the page, where --dump-dom prints them.
  window.addEventListener("load", function () {
    axe.run(document, {runOnly: {type: "tag", values: %(tags)s}, resultTypes: ["violations"]})
      .then(function (results) {
        var viewport = document.documentElement.clientWidth;
        var report = {
          violations: results.violations.map(function (rule) {
            var nodes = rule.nodes.map(function (node) { return node.target.join(" "); });
            return {id: rule.id, help: rule.help, nodes: nodes};
          }),
          viewport: viewport,
          page_width: document.documentElement.scrollWidth,
          too_wide: Array.from(document.querySelectorAll("table")).filter(function (table) {
            var box = table.getBoundingClientRect();
            return box.right > viewport || table.scrollWidth > table.clientWidth + 1;
          }).map(function (table) { return table.caption ? table.caption.textContent : "(no caption)"; })
        };
        var out = document.createElement("pre");
        out.id = "axe-results";
        out.textContent = JSON.stringify(report);
        document.body.appendChild(out);
      });
  });
</script>
"""


def axe_core() -> str:
    version = next(line.split()[0] for line in AXE_PIN.read_text().splitlines() if line and line[0] != "#")
    script = PROJECT_ROOT / ".cache" / f"axe-core-{version}" / "axe.min.js"
    if not script.is_file():
        pytest.fail(f"axe-core {version} is not in {script.parent}: ./scripts/test fetches it (npm pack)")
    return script.read_text(encoding="utf-8")


def audit(pack_html: Path, work: Path) -> dict:
    """axe-core's WCAG 2.2 AA violations and the page's widths, for the pack opened in a 1280 px window."""
    page = pack_html.read_text(encoding="utf-8")
    inlined = f"<script>{axe_core()}</script>" + RUNNER % {"tags": json.dumps(list(WCAG_22_AA))}
    audited = work / "audited.html"
    audited.write_text(page.replace("</body>", inlined + "</body>"), encoding="utf-8")
    dom = run_chromium(
        work / "profile",
        f"--window-size={AXE_WINDOW[0]},{AXE_WINDOW[1]}",
        "--virtual-time-budget=60000",
        "--dump-dom",
        audited.as_uri(),
    ).stdout
    found = re.search(r'<pre id="axe-results">(.*?)</pre>', dom, re.S)
    assert found, "axe-core did not report: the runner script did not finish"
    return json.loads(html.unescape(found.group(1)))


def _assert_accessible(report: dict) -> None:
    assert report["violations"] == [], json.dumps(report["violations"], indent=1)
    assert report["viewport"] <= AXE_WINDOW[0]
    assert report["page_width"] <= report["viewport"], "the page scrolls sideways"
    assert report["too_wide"] == [], f"tables wider than the window: {report['too_wide']}"


def test_a_small_countys_pack_meets_wcag_22_aa_and_fits_a_1280px_window(tmp_path: Path):
    result = build_pack(make_pack_home(tmp_path / "home", scale=SMALL_COUNTY), MONTH)

    report = audit(result.paths["html"], tmp_path)

    _assert_accessible(report)


@pytest.mark.slow
def test_the_demo_countys_pack_meets_wcag_22_aa_and_fits_a_1280px_window(demo_run: DemoRun, tmp_path: Path):
    pack_html = demo_run.home / "reports" / DEMO_LATEST_MONTH / f"schools_forum_pack_{DEMO_LATEST_MONTH}.html"
    assert pack_html.is_file(), demo_run.output[-3000:]

    report = audit(pack_html, tmp_path)

    _assert_accessible(report)
