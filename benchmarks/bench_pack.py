"""How long the Schools Forum pack takes to draw, stage by stage, on a warehouse that is already built.

    .venv/bin/python benchmarks/bench_pack.py --home DIR [--month YYYY-MM]

Run `highneeds run` on the demo landing folder first (its home is DIR). Prints seconds for reading the
marts, building the content (disclosure control and charts), the HTML, the PDF and the workbook, and the
size of each file; nothing is written to the home.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from orchestration.reports.data import latest_ledger_month, load_pack_data
from orchestration.reports.html import render_html
from orchestration.reports.pdf import render_pdf
from orchestration.reports.sections import build_content
from orchestration.reports.workbook import build_workbook
from orchestration.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--month", default=None)
    arguments = parser.parse_args()
    settings = Settings.from_env(home=arguments.home)
    month = arguments.month or latest_ledger_month(settings)
    if month is None:
        raise SystemExit(f"no ledger month in {settings.warehouse}: run `highneeds run` first")

    timings: list[tuple[str, float, str]] = []
    started = time.perf_counter()
    data = load_pack_data(settings, month)
    timings.append(("read the marts", time.perf_counter() - started, f"{len(data.tables)} marts"))
    started = time.perf_counter()
    content = build_content(data)
    timings.append(("content and charts", time.perf_counter() - started, f"{len(content.charts)} charts"))
    started = time.perf_counter()
    html = render_html(content).encode("utf-8")
    timings.append(("HTML", time.perf_counter() - started, f"{len(html) / 1e6:.2f} MB"))
    started = time.perf_counter()
    pdf = render_pdf(content)
    timings.append(
        ("PDF", time.perf_counter() - started, f"{len(pdf.content) / 1e6:.2f} MB, {pdf.pages} pages")
    )
    started = time.perf_counter()
    workbook = build_workbook(data)
    timings.append(("workbook", time.perf_counter() - started, f"{len(workbook) / 1e6:.2f} MB"))

    print(f"Schools Forum pack for {month} from {settings.warehouse}")
    for stage, seconds, size in timings:
        print(f"  {stage:<20} {seconds:6.2f} s   {size}")
    print(f"  {'total':<20} {sum(seconds for _stage, seconds, _size in timings):6.2f} s")


if __name__ == "__main__":
    main()
