"""Read DfE's published benchmarking files, exactly as published, into one tidy long table.

The files in `files/` are vendored unchanged (see `files/NOTICE.md`); everything odd about them — multi-row
headers, EES symbols, Excel errors, regions in capitals, LA names without codes — is handled here, so the
copies stay byte-identical to what DfE published and can be re-checked against the source.

Every reader returns the columns of `TIDY_COLUMNS`, one row per measure × period × area (× s251 line):
`value` is NULL whenever the file has no number, and `value_note` says why (`c` suppressed, `x` unavailable,
`z` not applicable), following the GSS symbols in `reference.md`.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

FILES_DIR = Path(__file__).with_name("files")
SEN2_FILE = "sen2_mi.csv"
DSG_BALANCE_FILE = "dsg_deficit_derived.xlsx"
HN_BENCHMARKING_FILE = "Outturn data 202122.xlsx"
CIN_SEN_FILE = "sen_la.csv"

TIDY_COLUMNS = [
    "measure",
    "period",
    "geography_level",
    "area_code",
    "old_la_code",
    "area_name",
    "region_name",
    "value",
    "value_note",
    "s251_line",
]

ENGLAND_CODE = "E92000001"
REGION_CODES = {
    "North East": "E12000001",
    "North West": "E12000002",
    "Yorkshire and The Humber": "E12000003",
    "East Midlands": "E12000004",
    "West Midlands": "E12000005",
    "East of England": "E12000006",
    "London": "E12000007",
    "South East": "E12000008",
    "South West": "E12000009",
}
"""ONS codes of the nine English regions, the only 'region' geography the tidy table carries."""

_EES_LEVELS = {"National": "england", "Regional": "region", "Local authority": "la"}
_GEOGRAPHY_ORDER = {"england": 0, "region": 1, "la": 2}


@dataclass(frozen=True)
class Measure:
    """What a measure holds, so a reader of the mart never has to open the source file."""

    name: str
    description: str
    unit: str
    period_type: str
    periods: str
    source_file: str


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure(
            "dsg_cumulative_balance_pct_of_dsg",
            "DSG cumulative balance (s251 line 1.9.3) as % of total DSG income; negative = deficit",
            "percent",
            "financial_year",
            "2019-20 to 2021-22",
            DSG_BALANCE_FILE,
        ),
        Measure(
            "ehc_requests",
            "Initial requests for an EHC needs assessment made in the calendar year (SEN2 `inreq_ehc`)",
            "count",
            "calendar_year",
            "2016 to 2022 (2014-2015 published as z)",
            SEN2_FILE,
        ),
        Measure(
            "ehc_new_plans",
            "Children and young people for whom an EHC plan was issued for the first time in the "
            "calendar year (SEN2 `new_all_ehc`); 2014 covers only September-December, when EHC plans began",
            "count",
            "calendar_year",
            "2014 to 2022",
            SEN2_FILE,
        ),
        Measure(
            "hn_budget_per_head_gbp",
            "s251 High Needs budget of the line ÷ 2-18 population (ONS mid-2021 projection, same file); "
            "England and regions are Σ budget ÷ Σ population of their LAs",
            "GBP per head aged 2-18",
            "financial_year",
            "2021-22",
            HN_BENCHMARKING_FILE,
        ),
        Measure(
            "cin_with_ehc_plan_pct",
            "Children in need at 31 March (excluding those on a child protection plan or looked after: "
            "DfE group 'CINO') who have an EHC plan or statement, % of that group",
            "percent",
            "academic_year",
            "2016/17 to 2021/22",
            CIN_SEN_FILE,
        ),
    )
}

HN_BUDGET_LINES = {
    "place funding": "1.0.2",
    "top up funding (maintained schools, academies, free schools and colleges)": "1.2.1+1.2.2",
    "top up funding (non-maintained and independent schools and colleges)": "1.2.3",
    "sen support and inclusion services": "1.2.5+1.2.8",
    "alternative provision services": "1.2.7",
    "hospital education services": "1.2.6",
    "therapies and other health related services": "1.2.13",
}
"""Column titles of the benchmarking table's 'Section 251 budget' block → s251 high needs line(s).

The table prints categories, not line numbers: a category that pools two lines is labelled `a+b`, so it never
joins to a single line of the s251 seed by mistake. Its 'Place funding' headline covers special schools and
AP only; 1.0.2 is the whole line, the sum of its phase columns (early years … post-school)."""


def measure_catalogue() -> pd.DataFrame:
    """The measures of the tidy table with their unit, period type and source, one row each."""
    return pd.DataFrame([vars(m) for m in MEASURES.values()])


_SYMBOL_NOTES = {
    "c": "c",
    "x": "x",
    "z": "z",
    "low": "c",
    ":": "x",
    "..": "x",
    "n/a": "x",
    "na": "x",
    "not available": "x",
    "not applicable": "z",
}
_EXCEL_ERROR = re.compile(r"^#(N/A|DIV/0!|REF!|VALUE!|NAME\?|NUM!|NULL!)$", re.IGNORECASE)


def parse_value(raw: object) -> tuple[float, str | None]:
    """A published cell as (number, note): NaN with `c`/`x`/`z` for a symbol, an Excel error or a blank.

    Unknown text raises: a new symbol in a release must be looked at, not silently turned into NULL.
    """
    if raw is None:
        return np.nan, "x"
    if isinstance(raw, bool):
        raise ValueError(f"unexpected boolean cell {raw!r}")
    if isinstance(raw, int | float):
        return (np.nan, "x") if np.isnan(raw) else (float(raw), None)
    text = str(raw).strip()
    if not text:
        return np.nan, "x"
    note = _SYMBOL_NOTES.get(text.lower())
    if note is not None:
        return np.nan, note
    if _EXCEL_ERROR.match(text):
        return np.nan, "x"
    try:
        return float(text.replace(",", "")), None
    except ValueError:
        raise ValueError(f"unexpected cell text {text!r}: not a number nor a known symbol") from None


def _parse_series(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """`parse_value` over a column, once per distinct cell (the files repeat `z` thousands of times)."""
    parsed = {cell: parse_value(cell) for cell in pd.unique(raw)}
    values = raw.map(lambda cell: parsed[cell][0]).astype("float64")
    notes = raw.map(lambda cell: parsed[cell][1]).astype("str")
    return values, notes


_MOJIBAKE_LEAD = re.compile("[ÂÃâ]")
_DASHES = re.compile("[\u2010-\u2015\u2212]")


def clean_area_name(raw: str) -> str:
    """An area name as ONS writes it: UTF-8 mis-read as Windows-1252 repaired, dashes as hyphens,
    `&` as `and`, single spaces, and DfE annotations such as `(New, LA code 838)` dropped."""
    name = str(raw)
    if _MOJIBAKE_LEAD.search(name):
        # UTF-8 read as Windows-1252 ('â€“' for '–') round-trips back; a genuine 'â' does not, and stays.
        with contextlib.suppress(UnicodeError):
            name = name.encode("cp1252").decode("utf-8")
    name = _DASHES.sub("-", name.replace("\u00a0", " "))
    name = re.sub(r"\s*\((new|old)\b[^)]*\)", "", name, flags=re.IGNORECASE)
    name = re.sub(r"\s*&\s*", " and ", name)
    name = re.sub(r"\s+", " ", name).strip()
    return re.sub(r"(?<=\w) And (?=\w)", " and ", name)


def canonical_region(raw: str) -> str:
    """One of the nine region names of `REGION_CODES`, whatever the case or spacing; Inner and Outer London
    (sub-regions some files use) become London."""
    name = clean_area_name(raw).casefold()
    if name in {"inner london", "outer london"}:
        return "London"
    for region in REGION_CODES:
        if region.casefold() == name:
            return region
    raise ValueError(f"unknown region {raw!r}")


@cache
def _sen2_raw(files_dir: Path) -> pd.DataFrame:
    return pd.read_csv(files_dir / SEN2_FILE, dtype=str, keep_default_na=False, encoding="utf-8")


@cache
def la_codes(files_dir: Path = FILES_DIR) -> pd.DataFrame:
    """Every LA in SEN2 (2014-2022) by calendar year: `year, old_la_code, new_la_code, la_name, region_name`
    (cached: treat as read-only).

    SEN2 is the one vendored file with both codes for every LA and year, so it is the code list: it tells
    which Dorset or Buckinghamshire a name meant in a given year.
    """
    sen2 = _sen2_raw(files_dir)
    las = sen2[sen2["geographic_level"] == "Local authority"]
    return (
        pd.DataFrame(
            {
                "year": las["time_period"].astype(int),
                "old_la_code": las["old_la_code"].astype(int),
                "new_la_code": las["new_la_code"].str.strip(),
                "la_name": las["la_name"].map(clean_area_name),
                "region_name": las["region_name"].map(canonical_region),
            }
        )
        .drop_duplicates()
        .sort_values(["old_la_code", "year"])
        .reset_index(drop=True)
    )


def _latest_by_old_code(files_dir: Path) -> pd.DataFrame:
    """The newest code, name and region SEN2 gives each old LA code, indexed by old code."""
    return la_codes(files_dir).groupby("old_la_code").last()


@cache
def current_las(files_dir: Path = FILES_DIR) -> pd.DataFrame:
    """The LAs of SEN2's latest year, one row each: `old_la_code, new_la_code, la_name, region_name`
    (cached: treat as read-only).

    These are the LAs an installation may be (`la_code`) or be compared with: an LA abolished before that
    year (Northamptonshire, Bournemouth, Poole, the old Dorset) has no current figures to compare.
    """
    codes = la_codes(files_dir)
    latest = codes[codes["year"] == codes["year"].max()].drop(columns="year")
    if latest["old_la_code"].duplicated().any():
        raise ValueError(f"{SEN2_FILE}: an LA code appears twice in its latest year")
    return latest.sort_values("old_la_code").reset_index(drop=True)


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of `TIDY_COLUMNS` with the tidy types, in a stable order (measure, line, period, area)."""
    tidy = frame[TIDY_COLUMNS].copy()
    for column in ("measure", "period", "geography_level", "area_code", "area_name"):
        tidy[column] = tidy[column].astype("str")
    for column in ("region_name", "value_note", "s251_line"):
        tidy[column] = tidy[column].astype("object").where(tidy[column].notna(), None).astype("str")
    tidy["old_la_code"] = tidy["old_la_code"].astype("Int64")
    tidy["value"] = tidy["value"].astype("float64")
    return (
        tidy.assign(
            _line=tidy["s251_line"].map(_line_sort_key, na_action="ignore").fillna(""),
            _level=tidy["geography_level"].map(_GEOGRAPHY_ORDER),
        )
        .sort_values(["measure", "_line", "period", "_level", "area_code"])
        .drop(columns=["_line", "_level"])
        .reset_index(drop=True)
    )


def _line_sort_key(line: str) -> str:
    """'1.2.13' after '1.2.3': each number zero-padded, so lines sort as the s251 statement lists them."""
    return re.sub(r"\d+", lambda number: number.group().zfill(3), line)


def _tidy_ees(
    raw: pd.DataFrame, measure_columns: dict[str, str], period: pd.Series, files_dir: Path
) -> pd.DataFrame:
    """Long rows from a file in the EES layout (geographic_level, country/region/LA codes and names)."""
    level = raw["geographic_level"].map(_EES_LEVELS)
    if level.isna().any():
        unknown = sorted(raw.loc[level.isna(), "geographic_level"].unique())
        raise ValueError(f"unexpected geographic_level {unknown}")
    # Inner and Outer London (E13) are sub-regions: the tidy table's regions are the nine E12 ones.
    keep = ~((level == "region") & raw["region_code"].str.startswith("E13"))
    raw, level, period = raw[keep], level[keep], period[keep]

    is_la = level == "la"
    old_code = pd.to_numeric(raw["old_la_code"].where(is_la), errors="raise").astype("Int64")
    latest_name = _latest_by_old_code(files_dir)["la_name"]
    la_name = old_code.map(latest_name).fillna(raw["la_name"].map(clean_area_name))
    region = raw["region_name"].where(level != "england").map(canonical_region, na_action="ignore")
    area_code = raw["new_la_code"].where(is_la, raw["region_code"].where(level == "region", ENGLAND_CODE))
    area_name = la_name.where(is_la, region.where(level == "region", "England"))

    pieces = []
    for column, measure in measure_columns.items():
        values, notes = _parse_series(raw[column])
        pieces.append(
            pd.DataFrame(
                {
                    "measure": measure,
                    "period": period,
                    "geography_level": level,
                    "area_code": area_code.str.strip(),
                    "old_la_code": old_code,
                    "area_name": area_name,
                    "region_name": region,
                    "value": values,
                    "value_note": notes,
                    "s251_line": None,
                }
            )
        )
    return _finish(pd.concat(pieces, ignore_index=True))


def read_ehc_requests_and_new_plans(files_dir: Path = FILES_DIR) -> pd.DataFrame:
    """`ehc_requests` and `ehc_new_plans` by calendar year (`2022`) for England, regions and LAs (SEN2)."""
    raw = _sen2_raw(files_dir)
    return _tidy_ees(
        raw,
        {"inreq_ehc": "ehc_requests", "new_all_ehc": "ehc_new_plans"},
        raw["time_period"].str.strip(),
        files_dir,
    )


def read_cin_with_ehc_plan(files_dir: Path = FILES_DIR) -> pd.DataFrame:
    """`cin_with_ehc_plan_pct` by academic year (`2021/22`) for England, regions and LAs.

    Its suppressed `c` cells are the reason this file is vendored next to the finance ones: small LAs' rows
    show how a suppressed comparator reaches the mart (NULL, note `c`), instead of as a zero.
    """
    raw = pd.read_csv(files_dir / CIN_SEN_FILE, dtype=str, keep_default_na=False, encoding="utf-8")
    raw = raw[raw["social_care_group"] == "CINO at 31 March"]
    year = raw["time_period"].str.strip()
    period = year.str[:4] + "/" + year.str[4:]
    return _tidy_ees(raw, {"pt_statement_or_EHC_plan": "cin_with_ehc_plan_pct"}, period, files_dir)


def _sheet_rows(path: Path) -> list[tuple]:
    """All cell values of the first sheet. `reset_dimensions` because DfE's R-written workbooks declare a
    one-cell sheet, which makes openpyxl's read-only mode see nothing."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        return list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def read_dsg_cumulative_balance(files_dir: Path = FILES_DIR) -> pd.DataFrame:
    """`dsg_cumulative_balance_pct_of_dsg` by financial year (`2021-22`); negative = deficit, as published.

    The file names LAs without codes: a name is matched to SEN2's code list of the calendar year the
    financial year starts in (so 2019-20 Buckinghamshire is E10000002, the county before the unitary).
    """
    rows = _sheet_rows(files_dir / DSG_BALANCE_FILE)
    header = [str(cell).strip() if cell is not None else "" for cell in rows[0]]
    raw = pd.DataFrame(rows[1:], columns=header, dtype=object)
    balance_column = next(c for c in header if "cumulative balance" in c.lower())

    level = raw["geographic_level"].map(_EES_LEVELS)
    if level.isna().any():
        raise ValueError(f"unexpected geographic_level {sorted(raw.loc[level.isna(), 'geographic_level'])}")
    period = raw["financial_year"].astype(str).str.strip()
    is_la = level == "la"

    codes = la_codes(files_dir)
    by_name_year = codes.set_index([codes["la_name"].str.casefold(), "year"])
    latest_by_name = codes.groupby(codes["la_name"].str.casefold()).last()
    old_codes, new_codes, names = [], [], []
    for name, fy, la in zip(raw["la_name"], period, is_la, strict=True):
        if not la:
            old_codes.append(pd.NA)
            new_codes.append(None)
            names.append(None)
            continue
        key = clean_area_name(name).casefold()
        year = int(fy[:4])
        if (key, year) in by_name_year.index:
            match = by_name_year.loc[(key, year)]
            match = match.iloc[0] if isinstance(match, pd.DataFrame) else match
        elif key in latest_by_name.index:
            match = latest_by_name.loc[key]
        else:
            raise ValueError(f"{DSG_BALANCE_FILE}: no LA code for {name!r}")
        old_codes.append(int(match["old_la_code"]))
        new_codes.append(match["new_la_code"])
        names.append(match["la_name"])

    region_cells = raw["region_name"].map(clean_area_name)
    region = region_cells.where(level != "england").map(canonical_region, na_action="ignore")
    values, notes = _parse_series(raw[balance_column])
    tidy = pd.DataFrame(
        {
            "measure": "dsg_cumulative_balance_pct_of_dsg",
            "period": period,
            "geography_level": level,
            "area_code": pd.Series(new_codes, index=raw.index).where(
                is_la, region.map(REGION_CODES).where(level == "region", ENGLAND_CODE)
            ),
            "old_la_code": pd.array(old_codes, dtype="Int64"),
            "area_name": pd.Series(names, index=raw.index).where(
                is_la, region.where(level == "region", "England")
            ),
            "region_name": region,
            "value": values,
            "value_note": notes,
            "s251_line": None,
        }
    )
    return _finish(tidy)


def _normalised_header(cell: object) -> str:
    return re.sub(r"\s+", " ", str(cell)).strip().casefold() if cell is not None else ""


@cache
def _hn_benchmarking_rows(files_dir: Path) -> tuple[tuple, ...]:
    """The high needs benchmarking table's cells, read once: budgets per head and LA profiles both use it."""
    return tuple(_sheet_rows(files_dir / HN_BENCHMARKING_FILE))


def _hn_benchmarking_header(rows: tuple[tuple, ...]) -> tuple[int, list[str]]:
    """Index of the table's header row (the one with 'LA code') and its normalised titles."""
    header_at = next(i for i, row in enumerate(rows) if any(_normalised_header(c) == "la code" for c in row))
    return header_at, [_normalised_header(c) for c in rows[header_at]]


def read_hn_budget_per_head(files_dir: Path = FILES_DIR) -> pd.DataFrame:
    """`hn_budget_per_head_gbp` by s251 line for the financial year the table's budget block is for (2021-22).

    The high needs benchmarking table gives each LA's s251 budget in pounds and its 2-18 population, and
    no England or region rows; its own per-head block is a partial, mostly-zero 2020-21 outturn. So per head
    = budget ÷ population for an LA, and Σ budget ÷ Σ population over the LAs with both for a region and for
    England (a population-weighted figure, as DfE computes its per-head benchmarks). LAs that no longer
    existed (Bournemouth, Poole, old Dorset, Northamptonshire) carry Excel errors: NULL, note `x`.
    """
    rows = _hn_benchmarking_rows(files_dir)
    header_at, fields = _hn_benchmarking_header(rows)
    code_at, name_at, region_at = fields.index("la code"), fields.index("la name"), fields.index("region")
    population_at = next(j for j, f in enumerate(fields) if f.startswith("2-18 population"))

    title_row_at = next(
        i for i in range(header_at) if any(_normalised_header(c) == "section 251 budget" for c in rows[i])
    )
    titles = [_normalised_header(c) for c in rows[title_row_at]]
    block_start = titles.index("section 251 budget")
    block_end = next((j for j in range(block_start + 1, len(titles)) if titles[j]), len(titles))
    year_row = [_normalised_header(c) for c in rows[title_row_at - 1]]
    year_label_at = max(j for j in range(block_start + 1) if year_row[j] == "year")
    period = str(rows[title_row_at - 1][year_label_at + 1]).strip()
    if not re.fullmatch(r"\d{4}-\d{2}", period):
        raise ValueError(f"{HN_BENCHMARKING_FILE}: budget year {period!r} is not a financial year")

    line_titles = [_normalised_header(c) for c in rows[title_row_at + 1]]
    line_columns: dict[str, list[int]] = {}
    line_starts = [j for j in range(block_start, block_end) if line_titles[j] in HN_BUDGET_LINES]
    for start, stop in zip(line_starts, [*line_starts[1:], block_end], strict=True):
        line = HN_BUDGET_LINES[line_titles[start]]
        # 1.0.2's headline is special + AP places only: the whole line is the sum of its phase columns.
        line_columns[line] = list(range(start + 1, stop)) if line == "1.0.2" else [start]
    missing = set(HN_BUDGET_LINES.values()) - set(line_columns)
    if missing:
        raise ValueError(f"{HN_BENCHMARKING_FILE}: no budget column for s251 lines {sorted(missing)}")

    latest = _latest_by_old_code(files_dir)
    records = []
    for row in rows[header_at + 1 :]:
        code = row[code_at]
        if not (isinstance(code, int | float) or (isinstance(code, str) and code.strip().isdigit())):
            continue  # blank spacer rows and any footnotes
        old_code = int(code)
        known = old_code in latest.index
        population, population_note = parse_value(row[population_at])
        for line, columns in line_columns.items():
            parsed = [parse_value(row[j]) for j in columns]
            note = next((n for _, n in parsed if n is not None), None)
            budget = np.nan if note else sum(v for v, _ in parsed)
            if note is None and not population > 0:
                note = population_note or "z"  # no 2-18 population: the LA did not exist that year
            records.append(
                {
                    "old_la_code": old_code,
                    "area_code": latest.at[old_code, "new_la_code"] if known else None,
                    "area_name": latest.at[old_code, "la_name"] if known else clean_area_name(row[name_at]),
                    "region_name": canonical_region(row[region_at]),
                    "s251_line": line,
                    "budget_gbp": budget,
                    "population": population,
                    "value_note": note,
                }
            )
    las = pd.DataFrame.from_records(records)
    usable = las["value_note"].isna()
    las["value"] = (las["budget_gbp"] / las["population"]).where(usable)
    las["geography_level"] = "la"

    counted = las[usable]
    totals = ["budget_gbp", "population"]
    regions = counted.groupby(["region_name", "s251_line"], as_index=False)[totals].sum()
    regions["area_code"] = regions["region_name"].map(REGION_CODES)
    regions["area_name"] = regions["region_name"]
    regions["geography_level"] = "region"
    england = counted.groupby("s251_line", as_index=False)[totals].sum()
    england = england.assign(
        area_code=ENGLAND_CODE, area_name="England", region_name=None, geography_level="england"
    )
    aggregates = pd.concat([regions, england], ignore_index=True)
    aggregates["value"] = aggregates["budget_gbp"] / aggregates["population"]
    aggregates["value_note"] = None
    aggregates["old_la_code"] = pd.NA

    tidy = pd.concat([las, aggregates], ignore_index=True)
    tidy["measure"] = "hn_budget_per_head_gbp"
    tidy["period"] = period
    return _finish(tidy)


PROFILE_FIGURES = {
    "population_2_18": "Population aged 2-18, ONS mid-2021 projection",
    "ehc_plans": "Children and young people aged up to 25 with an EHC plan or statement",
    "ehc_plans_independent_special": "Of those, placed in non-maintained special or independent schools",
}
"""Published figures (high needs benchmarking table, 2021-22) describing an LA's size, need and placement mix:
the inputs of the computed statistical neighbours (`int_las__nearest_neighbours`)."""

PROFILE_COLUMNS = [
    "figure",
    "period",
    "old_la_code",
    "area_code",
    "area_name",
    "region_name",
    "value",
    "value_note",
]


def read_la_profile_figures(files_dir: Path = FILES_DIR) -> pd.DataFrame:
    """`PROFILE_FIGURES` for every LA of `current_las`: one row per LA × figure, columns `PROFILE_COLUMNS`.

    An LA the table leaves out (City of London, Isles of Scilly) or carries as `#N/A` (North and West
    Northamptonshire's EHC plans, in the year they were created) has a NULL value with note `x`, so the LA
    list stays whole and the gap is visible.
    """
    rows = _hn_benchmarking_rows(files_dir)
    header_at, fields = _hn_benchmarking_header(rows)
    sub_fields = [_normalised_header(c) for c in rows[header_at + 1]]
    # The first 'Year' label above the header dates the table's opening columns (population, EHC plans).
    year_row = next(
        rows[i] for i in range(header_at) if any(_normalised_header(c) == "year" for c in rows[i])
    )
    period = str(year_row[[_normalised_header(c) for c in year_row].index("year") + 1]).strip()
    columns = {
        "population_2_18": next(j for j, f in enumerate(fields) if f.startswith("2-18 population")),
        "ehc_plans": next(j for j, f in enumerate(fields) if f.endswith("with sen statement or ehcp")),
        "ehc_plans_independent_special": sub_fields.index("nmss or independent schools"),
    }
    if not re.fullmatch(r"\d{4}-\d{2}", period):
        raise ValueError(f"{HN_BENCHMARKING_FILE}: table year {period!r} is not a financial year")
    code_at = fields.index("la code")
    published = {
        int(row[code_at]): row
        for row in rows[header_at + 1 :]
        if isinstance(row[code_at], int | float) or str(row[code_at]).strip().isdigit()
    }
    records = []
    for la in current_las(files_dir).itertuples():
        row = published.get(la.old_la_code)
        for figure, column in columns.items():
            value, note = parse_value(row[column]) if row is not None else (np.nan, "x")
            records.append(
                {
                    "figure": figure,
                    "period": period,
                    "old_la_code": la.old_la_code,
                    "area_code": la.new_la_code,
                    "area_name": la.la_name,
                    "region_name": la.region_name,
                    "value": value,
                    "value_note": note,
                }
            )
    profiles = pd.DataFrame.from_records(records, columns=PROFILE_COLUMNS)
    profiles["old_la_code"] = profiles["old_la_code"].astype("Int64")
    profiles["value"] = profiles["value"].astype("float64")
    return profiles


def load_public_benchmarks(files_dir: Path = FILES_DIR) -> pd.DataFrame:
    """Every measure of `MEASURES` from the vendored files, in one tidy long table (`TIDY_COLUMNS`)."""
    return _finish(
        pd.concat(
            [
                read_dsg_cumulative_balance(files_dir),
                read_ehc_requests_and_new_plans(files_dir),
                read_hn_budget_per_head(files_dir),
                read_cin_with_ehc_plan(files_dir),
            ],
            ignore_index=True,
        )
    )
