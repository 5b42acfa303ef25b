"""How the public pack writes pounds: short in prose, whole pounds in tables, one unit per chart axis."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from orchestration.reports.charts import MoneyFormatter
from orchestration.reports.formatting import format_value
from orchestration.reports.money import axis_money_labels, money_pounds, money_short


@pytest.mark.parametrize(
    ("pounds", "written"),
    [
        (0, "£0"),
        (999, "£999"),
        (999.49, "£999"),
        (1_000, "£1.0k"),
        (121_600, "£121.6k"),
        (999_500, "£999.5k"),
        (999_960, "£1.00m"),  # £1,000.0k would read oddly: it takes the next unit
        (1_000_000, "£1.00m"),
        (9_994_999, "£9.99m"),
        (162_593_792.66, "£162.6m"),
        (-999, "-£999"),
        (-1_234, "-£1.2k"),
        (-44_024_793, "-£44.0m"),
        (-0.3, "£0"),  # no minus sign on a figure that reads as zero
    ],
)
def test_money_in_prose_has_three_significant_figures_with_k_or_m(pounds: float, written: str):
    assert money_short(pounds) == written


def test_money_in_tables_is_to_the_pound():
    assert money_pounds(162_593_792.66) == "£162,593,793"
    assert money_pounds(-1_234.5) == "-£1,234"  # round half to even, as Python does
    assert format_value(78_116.66, "money") == "£78,117"
    assert format_value(-0.001, "estimate") == "0.00"


@pytest.mark.parametrize(
    ("ticks", "labels"),
    [
        ([0, 250_000, 500_000, 750_000, 1_000_000], ["£0.00m", "£0.25m", "£0.50m", "£0.75m", "£1.00m"]),
        ([0, 200_000, 400_000, 600_000], ["£0k", "£200k", "£400k", "£600k"]),
        ([0, 500, 1_000, 1_500], ["£0.0k", "£0.5k", "£1.0k", "£1.5k"]),
        ([0, 20, 40], ["£0", "£20", "£40"]),
        ([-150e6, -100e6, -50e6, 0], ["-£150m", "-£100m", "-£50m", "£0m"]),
        ([0, 10e6, 20e6, 30e6, 40e6, 50e6], ["£0m", "£10m", "£20m", "£30m", "£40m", "£50m"]),
    ],
)
def test_a_chart_axis_takes_k_or_m_by_its_range_and_never_repeats_a_label(ticks, labels):
    assert axis_money_labels(ticks) == labels


def test_a_small_countys_spend_axis_reads_in_tenths_of_a_million_not_whole_millions():
    figure = Figure()
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.barh([0, 1], [350_000, 1_200_000])
    axes.xaxis.set_major_formatter(MoneyFormatter())
    figure.canvas.draw()

    shown = [label.get_text() for label in axes.get_xticklabels() if label.get_text()]

    assert len(shown) == len(set(shown)) >= 3
    assert all(label.endswith("m") and "." in label for label in shown), shown
