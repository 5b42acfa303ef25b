"""Reading landing CSV/XLSX files into text tables, and refusing unreadable ones with a clear message."""

import datetime as dt
import pickle

import openpyxl
import pandas as pd
import pytest

from orchestration.contract import DATASETS
from orchestration.parsing.errors import LandingFileError, format_rows
from orchestration.parsing.reading import (
    ENCODING_UTF8,
    ENCODING_UTF8_BOM,
    ENCODING_WINDOWS_1252,
    ENCODING_XLSX,
    SOURCE_ROW,
    iter_landing_chunks,
    read_landing_table,
)
from orchestration.parsing.values import parse_money

BUDGET = DATASETS["hn_budget"]
LEDGER = DATASETS["hn_ledger"]
PLACEMENTS = DATASETS["placements"]
BUDGET_HEADER = "financial_year,s251_line,budget_type,amount_gbp,approved_on"
LEDGER_HEADER = ",".join(LEDGER.column_names)


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def refused(path, dataset=BUDGET) -> LandingFileError:
    with pytest.raises(LandingFileError) as caught:
        read_landing_table(path, dataset)
    return caught.value


# ------------------------------------------------------------------------------------------- encodings


def test_windows_1252_pound_sign_is_decoded(tmp_path):
    # 0xA3 is £ in Windows-1252 and is not valid UTF-8 on its own
    path = write(
        tmp_path,
        "hn_budget.csv",
        f'{BUDGET_HEADER}\r\n2025-26,1.2.1,original,"£1,234.56",01/03/2025\r\n',
        encoding="cp1252",
    )
    assert b"\xa31,234.56" in path.read_bytes()
    table = read_landing_table(path, BUDGET)
    assert table.encoding == ENCODING_WINDOWS_1252
    assert table.frame["amount_gbp"].tolist() == ["£1,234.56"]
    assert parse_money(table.frame["amount_gbp"]).values.tolist() == ["1234.56"]


def test_utf8_with_bom_reads_the_first_header_name_cleanly(tmp_path):
    path = write(
        tmp_path,
        "hn_budget.csv",
        f"{BUDGET_HEADER}\n2025-26,1.2.1,original,£10,2025-03-01\n",
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = read_landing_table(path, BUDGET)
    assert table.encoding == ENCODING_UTF8_BOM
    assert table.columns[0] == "financial_year"
    assert table.frame["amount_gbp"].tolist() == ["£10"]


def test_plain_utf8_keeps_en_dashes_and_pound_signs(tmp_path):
    path = write(
        tmp_path,
        "deficit_plan.csv",
        "financial_year,planned_hn_in_year_gbp,planned_closing_balance_gbp,plan_version\n"
        "2025-26,-£5,(10),Plan – v2\n",
    )
    table = read_landing_table(path, DATASETS["deficit_plan"])
    assert table.encoding == ENCODING_UTF8
    assert table.frame.loc[0, "plan_version"] == "Plan – v2"


def test_bytes_undefined_in_windows_1252_are_refused(tmp_path):
    path = write(
        tmp_path, "hn_budget.csv", f"{BUDGET_HEADER}\n2025-26,1.2.1,original,\x81\x8d,x\n".encode("latin-1")
    )
    error = refused(path)
    assert error.rule == "not_a_csv"
    assert error.rows == (2,)


# ------------------------------------------------------------------------------------------------ header


def test_header_names_are_matched_case_insensitively_and_extra_columns_kept(tmp_path):
    path = write(
        tmp_path,
        "hn_budget.csv",
        " Financial_Year ,S251_LINE,Budget_Type,AMOUNT_GBP,approved_on , Notes \n"
        "2025-26,1.2.1,original,10,2025-03-01,checked by JB\n",
    )
    table = read_landing_table(path, BUDGET)
    assert table.columns == (
        "financial_year",
        "s251_line",
        "budget_type",
        "amount_gbp",
        "approved_on",
        "notes",
    )
    assert table.extra_columns == ("notes",)
    assert table.frame.loc[0, "notes"] == "checked by JB"


def test_missing_column_is_named_and_a_renamed_column_is_suggested(tmp_path):
    path = write(
        tmp_path,
        "hn_budget.csv",
        "financial_year,s251_line,budget_type,amount,approved_on\n2025-26,1.2.1,x,1,y\n",
    )
    error = refused(path)
    assert error.rule == "missing_column"
    assert error.column == "amount_gbp"
    assert error.rows == (1,)
    assert "'amount' looks like 'amount_gbp' renamed" in str(error)
    assert str(error).startswith("hn_budget.csv (row 1, column 'amount_gbp'): the header row is missing")


def test_several_missing_columns_are_all_listed(tmp_path):
    path = write(tmp_path, "hn_budget.csv", "financial_year,s251_line,budget_type\n2025-26,1.2.1,original\n")
    error = refused(path)
    assert "'amount_gbp', 'approved_on'" in error.message
    assert error.column is None


def test_semicolon_separated_file_gets_a_hint(tmp_path):
    path = write(
        tmp_path, "hn_budget.csv", BUDGET_HEADER.replace(",", ";") + "\n2025-26;1.2.1;original;1;x\n"
    )
    error = refused(path)
    assert error.rule == "missing_column"
    assert "separated by something other than commas" in error.message


def test_duplicated_header_name_is_refused(tmp_path):
    path = write(tmp_path, "hn_budget.csv", BUDGET_HEADER + ",Amount_GBP\n2025-26,1.2.1,original,1,x,2\n")
    error = refused(path)
    assert error.rule == "duplicate_column"
    assert error.column == "amount_gbp"
    assert "'amount_gbp' is in columns 4, 6" in error.message


def test_optional_columns_may_be_left_out(tmp_path):
    names = [c.name for c in PLACEMENTS.columns if not c.optional_column]
    path = write(tmp_path, "placements_2025-10.csv", ",".join(names) + "\n")
    table = read_landing_table(path, PLACEMENTS)
    assert set(table.absent_optional_columns) == {"forename", "surname", "end_reason"}


# ------------------------------------------------------------------------------------- rows and quoting


def test_source_row_is_the_physical_line_even_after_multiline_values_and_blank_lines(tmp_path):
    content = (
        f"{LEDGER_HEADER}\n"  # line 1
        'T1,2025-10,01/10/2025,CC1,1.2.1,,,,,"1,234.56","Top-up, ""autumn""\nsecond line"\n'  # lines 2-3
        "\n"  # line 4 (blank)
        "T2,2025-10,2025-10-02,CC1,1.2.1,,,,,-5,plain\n"  # line 5
        ",,,,,,,,,,\n"  # line 6 (empty cells)
        "T3,2025-10,2025-10-03,CC1,1.2.1,,,,,7,\n"  # line 7
    )
    table = read_landing_table(write(tmp_path, "hn_ledger_2025-10.csv", content), LEDGER)
    assert table.frame[SOURCE_ROW].tolist() == [2, 5, 7]
    assert table.frame["description"].tolist() == ['Top-up, "autumn"\nsecond line', "plain", ""]
    assert table.frame["amount_gbp"].tolist() == ["1,234.56", "-5", "7"]


def test_cells_are_text_with_blanks_as_empty_strings_and_not_stripped(tmp_path):
    path = write(tmp_path, "hn_budget.csv", f"{BUDGET_HEADER}\n2025-26, 1.2.10 ,original,,2025-03-01\n")
    frame = read_landing_table(path, BUDGET).frame
    assert frame.loc[0, "s251_line"] == " 1.2.10 "
    assert frame.loc[0, "amount_gbp"] == ""
    assert all(str(frame[c].dtype) == "str" for c in frame.columns if c != SOURCE_ROW)
    assert str(frame[SOURCE_ROW].dtype) == "int64"


def test_codes_and_leading_zeros_stay_as_written_in_csv(tmp_path):
    path = write(
        tmp_path,
        "hn_ledger_2025-10.csv",
        f"{LEDGER_HEADER}\nT1,2025-10,2025-10-01,0042,1.2.10,,010203,,,1.50,\n",
    )
    frame = read_landing_table(path, LEDGER).frame
    assert frame.loc[0, ["cost_centre", "s251_line", "provider_urn", "amount_gbp"]].tolist() == [
        "0042",
        "1.2.10",
        "010203",
        "1.50",
    ]


def test_trailing_empty_cells_after_the_last_column_are_tolerated(tmp_path):
    path = write(tmp_path, "hn_budget.csv", f"{BUDGET_HEADER}\n2025-26,1.2.1,original,1,2025-03-01,,\n")
    table = read_landing_table(path, BUDGET)
    assert table.n_rows == 1
    assert table.columns == tuple(BUDGET_HEADER.split(","))


def test_header_only_file_has_no_rows_but_all_columns(tmp_path):
    table = read_landing_table(write(tmp_path, "hn_budget.csv", BUDGET_HEADER + "\r\n"), BUDGET)
    assert table.n_rows == 0
    assert table.columns == tuple(BUDGET_HEADER.split(","))


# ------------------------------------------------------------------------------------------ broken files


def test_empty_file_is_refused(tmp_path):
    error = refused(write(tmp_path, "hn_budget.csv", b""))
    assert error.rule == "file_empty"
    assert str(error).startswith("hn_budget.csv: the file is empty (0 bytes)")


def test_file_of_blank_lines_has_no_header(tmp_path):
    error = refused(write(tmp_path, "hn_budget.csv", "\r\n\r\n  \r\n"))
    assert error.rule == "file_empty"


def test_unterminated_quote_at_end_of_file_is_a_truncated_file(tmp_path):
    content = f'{BUDGET_HEADER}\n2025-26,1.2.1,original,1,2025-03-01\n2025-26,1.2.2,original,"1,2'
    error = refused(write(tmp_path, "hn_budget.csv", content))
    assert error.rule == "truncated"
    assert error.rows == (3,)
    assert "row 3" in str(error)


def test_last_line_with_fewer_fields_is_a_truncated_file(tmp_path):
    content = f"{BUDGET_HEADER}\n2025-26,1.2.1,original,1,2025-03-01\n2025-26,1.2"
    error = refused(write(tmp_path, "hn_budget.csv", content))
    assert error.rule == "truncated"
    assert error.rows == (3,)
    assert "stops after 2 of the 5 columns" in error.message


def test_rows_with_the_wrong_number_of_values_are_all_listed(tmp_path):
    content = (
        f"{BUDGET_HEADER}\n"
        "2025-26,1.2.1,original,1,234.56,2025-03-01\n"  # unquoted comma in money: 6 values
        "2025-26,1.2.1,original,1,2025-03-01\n"
        "2025-26,1.2.1,original\n"
        "2025-26,1.2.1,original,1,2025-03-01\n"
    )
    error = refused(write(tmp_path, "hn_budget.csv", content))
    assert error.rule == "wrong_field_count"
    assert error.rows == (2, 4)
    assert "3 or 6 values where the header has 5 columns" in error.message


def test_stray_quote_inside_a_value_is_bad_quoting(tmp_path):
    content = f'{BUDGET_HEADER}\n2025-26,1.2.1,original,"1"0,2025-03-01\n'
    error = refused(write(tmp_path, "hn_budget.csv", content))
    assert error.rule == "bad_quoting"
    assert error.rows == (2,)


def test_binary_garbage_named_csv_is_refused(tmp_path):
    error = refused(write(tmp_path, "hn_budget.csv", bytes(range(256)) * 4))
    assert error.rule == "not_a_csv"
    assert error.rows == (1,)


def test_workbook_saved_with_a_csv_name_is_refused_with_advice(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(BUDGET_HEADER.split(","))
    path = tmp_path / "hn_budget.csv"
    workbook.save(path)
    error = refused(path)
    assert error.rule == "not_a_csv"
    assert ".xlsx extension" in error.message


def test_csv_named_xlsx_is_refused(tmp_path):
    error = refused(
        write(tmp_path, "hn_budget.xlsx", f"{BUDGET_HEADER}\n2025-26,1.2.1,original,1,2025-03-01\n")
    )
    assert error.rule == "not_an_xlsx"


def test_missing_file_is_refused(tmp_path):
    assert refused(tmp_path / "hn_budget.csv").rule == "file_missing"


# ------------------------------------------------------------------------------------------------ chunks


def test_chunks_keep_source_rows_and_join_to_the_whole_table(tmp_path):
    lines = [LEDGER_HEADER]
    for i in range(1, 8):
        description = '"two\nlines"' if i == 3 else "one line"
        lines.append(f"T{i},2025-10,2025-10-01,CC1,1.2.1,,,,,{i}.00,{description}")
    path = write(tmp_path, "hn_ledger_2025-10.csv", "\n".join(lines) + "\n")
    chunks = list(iter_landing_chunks(path, LEDGER, chunk_rows=3))
    assert [c.n_rows for c in chunks] == [3, 3, 1]
    # T3's description spans lines 4-5, so T4 starts on line 6
    assert [c.frame[SOURCE_ROW].tolist() for c in chunks] == [[2, 3, 4], [6, 7, 8], [9]]
    whole = read_landing_table(path, LEDGER).frame
    pd.testing.assert_frame_equal(pd.concat([c.frame for c in chunks], ignore_index=True), whole)


def test_header_only_file_still_yields_one_empty_chunk(tmp_path):
    chunks = list(iter_landing_chunks(write(tmp_path, "hn_budget.csv", BUDGET_HEADER + "\n"), BUDGET))
    assert [c.n_rows for c in chunks] == [0]


def test_problem_after_the_first_chunk_is_raised_when_reading_reaches_it(tmp_path):
    content = f"{BUDGET_HEADER}\n" + "2025-26,1.2.1,original,1,2025-03-01\n" * 4 + "2025-26,1.2.1\n"
    chunks = iter_landing_chunks(write(tmp_path, "hn_budget.csv", content), BUDGET, chunk_rows=2)
    assert next(chunks).frame[SOURCE_ROW].tolist() == [2, 3]
    with pytest.raises(LandingFileError, match="row 6"):
        list(chunks)


# -------------------------------------------------------------------------------------------------- XLSX


def budget_workbook(path, *, extra_sheet_first=False, title=True):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if extra_sheet_first:
        sheet.title = "Notes"
        sheet.append(["read me"])
        sheet = workbook.create_sheet("HN Budget")
    else:
        sheet.title = "Budget"
    if title:
        sheet.append(["High Needs budget 2025-26"])  # row 1: title
        sheet.merge_cells("A1:E1")  # a merged title above the header is fine
        sheet.append([])  # row 2: blank
    sheet.append([" Financial_Year", "S251_Line", "budget_type", "amount_gbp", "approved_on", "urn"])
    sheet.append(["2025-26", "1.2.10", "original", 1234.5, dt.datetime(2025, 3, 1), "010203"])
    sheet.append(["2025-26", "1.2.1", "revised", 12.0, dt.datetime(2025, 6, 1, 14, 30), 10203])
    sheet.append([])
    sheet.append(["2025-26", "1.0.2", "original", 1234.5600000000002, "01/03/2025", None])
    last = sheet.max_row
    sheet.cell(row=last - 2, column=6).number_format = "000000"  # URN typed as a number, shown 010203
    workbook.save(path)
    return last


def test_xlsx_title_and_blank_rows_are_skipped_and_values_come_back_as_typed(tmp_path):
    path = tmp_path / "hn_budget.xlsx"
    budget_workbook(path)
    table = read_landing_table(path, BUDGET)
    assert table.encoding == ENCODING_XLSX
    assert table.sheet == "Budget"
    assert table.header_row == 3
    assert table.columns == ("financial_year", "s251_line", "budget_type", "amount_gbp", "approved_on", "urn")
    frame = table.frame
    assert frame[SOURCE_ROW].tolist() == [4, 5, 7]
    assert frame["s251_line"].tolist() == ["1.2.10", "1.2.1", "1.0.2"]
    assert frame["urn"].tolist() == ["010203", "010203", ""]
    assert frame["amount_gbp"].tolist() == ["1234.5", "12", "1234.56"]
    assert frame["approved_on"].tolist() == ["2025-03-01", "2025-06-01 14:30:00", "01/03/2025"]


def test_xlsx_sheet_named_like_the_dataset_is_chosen_over_the_first(tmp_path):
    path = tmp_path / "hn_budget.xlsx"
    budget_workbook(path, extra_sheet_first=True, title=False)
    table = read_landing_table(path, BUDGET)
    assert table.sheet == "HN Budget"
    assert table.header_row == 1
    assert table.frame[SOURCE_ROW].tolist() == [2, 3, 5]


def test_xlsx_merged_cells_in_the_data_are_refused(tmp_path):
    path = tmp_path / "hn_budget.xlsx"
    budget_workbook(path)
    workbook = openpyxl.load_workbook(path)
    workbook.active.merge_cells("A4:A5")
    workbook.save(path)
    error = refused(path)
    assert error.rule == "merged_cells"
    assert error.rows == (4, 5)
    assert "A4:A5" in error.message


def test_xlsx_missing_column_reports_the_header_row_it_found(tmp_path):
    path = tmp_path / "hn_budget.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Budget"])
    workbook.active.append(["financial_year", "s251_line", "budget_type", "amount", "approved_on"])
    workbook.active.append(["2025-26", "1.2.1", "original", 1, "2025-03-01"])
    workbook.save(path)
    error = refused(path)
    assert error.rule == "missing_column"
    assert error.rows == (2,)
    assert "'amount' looks like 'amount_gbp' renamed" in error.message


def test_xlsx_unnamed_column_with_data_is_kept_and_empty_ones_dropped(tmp_path):
    path = tmp_path / "hn_budget.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append([*BUDGET_HEADER.split(","), None, None])
    workbook.active.append(["2025-26", "1.2.1", "original", 1, "2025-03-01", "note", None])
    workbook.save(path)
    table = read_landing_table(path, BUDGET)
    assert table.extra_columns == ("unnamed_F",)
    assert table.frame.loc[0, "unnamed_F"] == "note"


def test_empty_xlsx_sheet_is_refused(tmp_path):
    path = tmp_path / "hn_budget.xlsx"
    openpyxl.Workbook().save(path)
    assert refused(path).rule == "file_empty"


# ------------------------------------------------------------------------------------------------ errors


def test_row_lists_are_short_and_readable():
    assert format_rows([7]) == "row 7"
    assert format_rows([9, 3, 7]) == "rows 3, 7 and 9"
    assert format_rows(range(2, 20)) == "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 (and 8 more)"


def test_error_names_file_rows_and_column_and_survives_pickling(tmp_path):
    error = LandingFileError(
        tmp_path / "hn_ledger_2025-10.csv", "bad", rows=[5, 3], column="amount_gbp", rule="x"
    )
    assert str(error) == "hn_ledger_2025-10.csv (rows 3 and 5, column 'amount_gbp'): bad"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.rule, copy.rows, copy.column, str(copy)) == ("x", (3, 5), "amount_gbp", str(error))


def test_utf16_export_is_refused_with_the_format_to_use(tmp_path):
    error = refused(
        write(tmp_path, "hn_budget.csv", f"{BUDGET_HEADER}\n2025-26,1.2.1,original,1,x\n", "utf-16")
    )
    assert error.rule == "not_a_csv"
    assert "CSV UTF-8" in error.message


def test_trailing_comma_on_the_header_line_adds_no_column(tmp_path):
    path = write(
        tmp_path,
        "hn_budget.csv",
        f"{BUDGET_HEADER},\n2025-26,1.2.1,original,1,x\n2025-26,1.2.2,original,2,x,\n",
    )
    table = read_landing_table(path, BUDGET)
    assert table.columns == tuple(BUDGET_HEADER.split(","))
    assert table.frame["amount_gbp"].tolist() == ["1", "2"]


def test_merged_ranges_are_found_without_the_fast_reader_too(tmp_path):
    from orchestration.parsing.reading import _merged_ranges

    path = tmp_path / "hn_budget.xlsx"
    budget_workbook(path)  # merges A1:E1 for the title
    assert _merged_ranges(path, "Budget", "xl/worksheets/sheet1.xml") == ["A1:E1"]
    assert _merged_ranges(path, "Budget", None) == ["A1:E1"]
