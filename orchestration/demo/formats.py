"""Vectorised text formatting and a fast, byte-deterministic CSV writer.

Landing files are written as text built column by column with pandas' (pyarrow-backed) string
operations: a county extract has hundreds of thousands of rows and the national benchmark millions, so
nothing here formats one row at a time. Formatting is exact (money from int64 pence) so the same seed
always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from orchestration.demo.timeline import day

MoneyStyle = Literal["plain", "thousands", "accounting", "pound"]
DateStyle = Literal["iso", "uk"]

_DATE_BASE = day("1985-01-01")
_DATE_END = day("2045-01-01")
_ISO = np.datetime_as_string(np.arange(_DATE_BASE, _DATE_END).astype("datetime64[D]"), unit="D")
_UK = np.array([f"{d[8:10]}/{d[5:7]}/{d[0:4]}" for d in _ISO.tolist()])  # 22k calendar days, built once


def text(values: Sequence[str] | np.ndarray) -> pd.Series:
    """A pandas string Series (pyarrow-backed) from any array of str."""
    return pd.Series(np.asarray(values, dtype=object), dtype="str")


def dates(days: np.ndarray, style: DateStyle = "iso", blank: np.ndarray | None = None) -> pd.Series:
    """Dates as text (`YYYY-MM-DD` or UK `DD/MM/YYYY`); `blank` marks cells left empty."""
    days = np.asarray(days, dtype=np.int64)
    table = _ISO if style == "iso" else _UK
    safe = np.clip(days - _DATE_BASE, 0, len(table) - 1)
    out = table[safe].astype(object)
    if blank is not None:
        out[np.asarray(blank, dtype=bool)] = ""
    return pd.Series(out, dtype="str")


def integers(values: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=np.int64)).astype("str")


def _thousands(pounds: np.ndarray) -> pd.Series:
    """Whole pounds with thousands separators (`12,345,678`), vectorised by 3-digit groups."""
    pounds = np.asarray(pounds, dtype=np.int64)
    groups = [pounds // 10**9, (pounds // 10**6) % 1000, (pounds // 1000) % 1000, pounds % 1000]
    as_text = [pd.Series(g).astype("str") for g in groups]
    padded = [s.str.zfill(3) for s in as_text]
    result = as_text[3]
    result = pd.Series(np.where(pounds >= 1000, as_text[2] + "," + padded[3], result), dtype="str")
    result = pd.Series(
        np.where(pounds >= 10**6, as_text[1] + "," + padded[2] + "," + padded[3], result), dtype="str"
    )
    result = pd.Series(
        np.where(pounds >= 10**9, as_text[0] + "," + padded[1] + "," + padded[2] + "," + padded[3], result),
        dtype="str",
    )
    return result


def money(pence: np.ndarray, style: MoneyStyle = "plain") -> pd.Series:
    """Amounts from int64 pence: `1234.56`, `1,234.56`, `(1,234.56)` for credits, or `£1,234.56`."""
    pence = np.asarray(pence, dtype=np.int64)
    negative = pence < 0
    magnitude = np.abs(pence)
    pounds = magnitude // 100
    pounds_text = _thousands(pounds) if style != "plain" else pd.Series(pounds).astype("str")
    body = pounds_text + "." + pd.Series(magnitude % 100).astype("str").str.zfill(2)
    if style == "pound":
        body = "£" + body
    if style == "accounting":
        out = np.where(negative, "(" + body + ")", body)
    else:
        out = np.where(negative, "-" + body, body)
    return pd.Series(out, dtype="str")


def csv_field(values: pd.Series) -> pd.Series:
    """Quote a text column where CSV needs it (commas, quotes, line breaks), doubling inner quotes."""
    values = values.astype("str")
    needs = values.str.contains('[",\r\n]', regex=True)
    if not bool(needs.any()):
        return values
    quoted = '"' + values.str.replace('"', '""', regex=False) + '"'
    return values.where(~needs, quoted)


def csv_text(header: Sequence[str], columns: Sequence[pd.Series], line_ending: str = "\n") -> str:
    """The whole CSV file as one string (header + rows), every field quoted only where needed."""
    fields = [csv_field(c.reset_index(drop=True)) for c in columns]
    header_line = ",".join(csv_field(pd.Series(list(header), dtype="str")).tolist())
    if not fields or len(fields[0]) == 0:
        return header_line + line_ending
    lines = reduce(lambda a, b: a + "," + b, fields)
    return header_line + line_ending + line_ending.join(lines.tolist()) + line_ending


def write_csv(
    path: Path,
    header: Sequence[str],
    columns: Sequence[pd.Series],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    line_ending: str = "\n",
) -> int:
    """Write a CSV file and return its number of data rows; `encoding="cp1252"` for finance exports."""
    content = csv_text(header, columns, line_ending)
    data = content.encode(encoding, errors="strict")
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(columns[0]) if columns else 0
