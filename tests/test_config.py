"""`highneeds.yaml`: how it is found, what it accepts, and the one message a mistake in it gets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from orchestration.config import (
    CONFIG_ENV,
    CONFIG_FILE_NAME,
    ConfigError,
    InstallationConfig,
    find_config_file,
    known_la_codes,
    load_config,
    starter_config,
)
from orchestration.demo.installation import (
    DEMO_CONFIG_MARKER,
    GLOUCESTERSHIRE_NEIGHBOURS,
    GLOUCESTERSHIRE_NEIGHBOURS_NOTE,
    demo_config_text,
    write_demo_config,
)
from orchestration.settings import Settings


def refusal(tmp_path: Path, text: str) -> str:
    """The message a configuration file holding `text` is refused with."""
    path = tmp_path / CONFIG_FILE_NAME
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert message.startswith(f"{path}"), message  # every refusal names the file first
    return message.removeprefix(f"{path}")


def test_no_file_gives_the_demo_county_defaults() -> None:
    config = load_config(None)
    assert (config.la_code, config.la_name, config.la_region) == (916, "Gloucestershire", "South West")
    assert config.statistical_neighbours == []
    assert (config.disclosure.min_count, config.disclosure.min_values_for_median) == (5, 10)
    assert config.statutory_override_end == date(2028, 3, 31)
    assert config.header_map("hn_ledger") == {}


def test_a_full_file_is_read_with_its_header_map(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE_NAME
    path.write_text(
        "la_code: 886\n"
        "statistical_neighbours: [936, 938]\n"
        "disclosure: {min_count: 10}\n"
        "columns:\n"
        "  hn_ledger:\n"
        '    "Trans Ref": transaction_id\n'
        '    "Amount (£)": amount_gbp\n'
        "statutory_override_end: 2026-03-31\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert (config.la_name, config.la_region) == ("Kent", "South East")
    assert config.statistical_neighbours == [936, 938]
    assert (config.disclosure.min_count, config.disclosure.min_values_for_median) == (10, 10)
    assert config.header_map("hn_ledger") == {"Trans Ref": "transaction_id", "Amount (£)": "amount_gbp"}
    assert config.header_map("placements") == {}
    assert config.statutory_override_end == date(2026, 3, 31)


def test_unknown_key_is_refused_with_the_key_it_resembles(tmp_path: Path) -> None:
    assert refusal(tmp_path, "la_cod: 916\n") == ": la_cod: unknown key; did you mean 'la_code'?"
    assert (
        refusal(tmp_path, "disclosure:\n  min_cont: 3\n")
        == ": disclosure.min_cont: unknown key; did you mean 'min_count'?"
    )


def test_unknown_dataset_under_columns_is_refused_with_the_nearest_dataset(tmp_path: Path) -> None:
    message = refusal(tmp_path, "columns:\n  hn_ledgr:\n    Ref: transaction_id\n")
    assert message.startswith(": columns.hn_ledgr: unknown dataset; did you mean 'hn_ledger'?")


def test_header_mapped_to_an_unknown_column_names_dataset_header_and_nearest_column(tmp_path: Path) -> None:
    message = refusal(tmp_path, 'columns:\n  hn_ledger:\n    "Amount (£)": amount_gpb\n')
    assert message == (
        ": columns.hn_ledger.'Amount (£)': mapped to 'amount_gpb', which is not a hn_ledger column; "
        "did you mean 'amount_gbp'?"
    )


def test_two_headers_mapped_to_one_column_are_refused(tmp_path: Path) -> None:
    message = refusal(
        tmp_path, 'columns:\n  hn_ledger:\n    "Trans Ref": transaction_id\n    Txn: transaction_id\n'
    )
    assert message == (
        ": columns.hn_ledger: headers 'Trans Ref' and 'Txn' are both mapped to 'transaction_id'; "
        "map one header to each column"
    )


def test_one_header_written_twice_in_different_case_is_refused(tmp_path: Path) -> None:
    # Headers match ignoring case and surrounding spaces, so these two would claim the same file column.
    message = refusal(
        tmp_path, 'columns:\n  hn_ledger:\n    "Trans Ref": transaction_id\n    "trans ref ": period\n'
    )
    assert "headers 'Trans Ref' and 'trans ref ' are the same header" in message


def test_unknown_la_code_is_refused_with_close_codes_and_their_names(tmp_path: Path) -> None:
    assert refusal(tmp_path, "la_code: 999\n") == (
        ": la_code: 999 is not an LA code in DfE's published data; "
        "did you mean 929 (Northumberland) or 919 (Hertfordshire) or 909 (Cumbria)?"
    )


def test_an_la_name_instead_of_its_code_is_answered_with_the_code(tmp_path: Path) -> None:
    assert refusal(tmp_path, "la_code: gloucestershire\n") == (
        ": la_code: 'gloucestershire' is not a 3-digit DfE LA code; Gloucestershire is 916"
    )


def test_an_abolished_la_is_refused_as_abolished(tmp_path: Path) -> None:
    # Northamptonshire (928) was split into North (940) and West (941) Northamptonshire in 2021.
    assert refusal(tmp_path, "la_code: 928\n") == (
        ": la_code: 928 (Northamptonshire) was abolished: DfE last published it in 2020. "
        "Use the code of the LA that replaced it"
    )


def test_bad_neighbour_lists_name_the_position_in_the_list(tmp_path: Path) -> None:
    assert refusal(tmp_path, "statistical_neighbours: [885, 998]\n").startswith(
        ": statistical_neighbours[1]: 998 is not an LA code in DfE's published data"
    )
    assert refusal(tmp_path, "statistical_neighbours: [885, 937, 885]\n") == (
        ": statistical_neighbours[2]: 885 (Worcestershire) is listed twice"
    )
    assert refusal(tmp_path, "la_code: 916\nstatistical_neighbours: [885, 916]\n") == (
        ": statistical_neighbours[1]: lists the LA itself (916, Gloucestershire)"
    )


def test_an_la_without_a_population_must_list_its_neighbours(tmp_path: Path) -> None:
    # The Isles of Scilly are not in DfE's high needs benchmarking table, so there is nothing to compute on.
    message = refusal(tmp_path, "la_code: 420\n")
    assert message.startswith(
        ": statistical_neighbours: is empty, but neighbours cannot be computed for Isles"
    )
    path = tmp_path / CONFIG_FILE_NAME
    path.write_text("la_code: 420\nstatistical_neighbours: [908, 878]\n", encoding="utf-8")
    assert load_config(path).statistical_neighbours == [908, 878]


def test_a_key_written_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    # YAML would otherwise keep the second value silently.
    assert refusal(tmp_path, "la_code: 916\ndisclosure: {}\nla_code: 886\n") == (
        " (line 3): not valid YAML: key 'la_code' is written twice (lines 1 and 3)"
    )


def test_wrong_types_and_broken_yaml_say_what_was_found(tmp_path: Path) -> None:
    assert refusal(tmp_path, "disclosure:\n  min_count: lots\n") == (
        ": disclosure.min_count: Input should be a valid integer, unable to parse string as an integer "
        "(found 'lots')"
    )
    assert refusal(tmp_path, "la_code: [916\n").startswith(" (line 2): not valid YAML")
    assert refusal(tmp_path, "- 916\n") == ": expected keys such as la_code: 916, found a list"


def test_every_mistake_in_a_file_is_listed_one_line_each(tmp_path: Path) -> None:
    lines = refusal(tmp_path, "la_cod: 916\ndisclosure: {min_count: 0}\n").splitlines()
    # the first line's file name was taken off by `refusal`; every later line names the file again
    assert lines[1].startswith(str(tmp_path / CONFIG_FILE_NAME))
    assert sorted(line.split(f"{CONFIG_FILE_NAME}")[-1].removeprefix(": ") for line in lines) == [
        "disclosure.min_count: Input should be greater than or equal to 1 (found 0)",
        "la_cod: unknown key; did you mean 'la_code'?",
    ]


def test_config_file_is_found_as_option_then_environment_then_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    explicit, from_env, in_home = tmp_path / "explicit.yaml", tmp_path / "env.yaml", home / CONFIG_FILE_NAME
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert find_config_file(None, home) is None  # nothing anywhere: the built-in defaults
    in_home.write_text("la_code: 886\n", encoding="utf-8")
    assert find_config_file(None, home) == in_home
    monkeypatch.setenv(CONFIG_ENV, str(from_env))
    assert find_config_file(None, home) == from_env
    assert find_config_file(explicit, home) == explicit
    # Settings follow the same order, and a file named but missing is an error, not the defaults.
    assert Settings.from_env(home=home, config=explicit).config_file == explicit
    with pytest.raises(ConfigError, match=r"env\.yaml: the configuration file does not exist"):
        _ = Settings.from_env(home=home).config


def test_starter_file_loads_to_the_defaults_for_its_la(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE_NAME
    path.write_text(starter_config(886), encoding="utf-8")
    assert "# DfE 3-digit LA code (Kent, South East)" in path.read_text(encoding="utf-8")
    assert load_config(path) == InstallationConfig(la_code=886)
    with pytest.raises(ValueError, match="999 is not an LA code"):
        starter_config(999)


def test_demo_config_is_gloucestershire_with_its_documented_neighbours(tmp_path: Path) -> None:
    path = tmp_path / "home" / CONFIG_FILE_NAME
    assert write_demo_config(path)
    config = load_config(path)
    assert config.la_code == 916
    assert config.statistical_neighbours == list(GLOUCESTERSHIRE_NEIGHBOURS)
    assert config.statistical_neighbours_note == GLOUCESTERSHIRE_NEIGHBOURS_NOTE
    assert [known_la_codes()[code] for code in config.statistical_neighbours] == [
        "Worcestershire",
        "Warwickshire",
        "Wiltshire",
        "Somerset",
        "Devon",
        "Oxfordshire",
        "West Sussex",
        "Leicestershire",
        "Staffordshire",
        "Cambridgeshire",
    ]
    mapped = demo_config_text({"hn_ledger": {"Amount (£)": "amount_gbp"}})
    path.write_text(mapped, encoding="utf-8")
    assert load_config(path).header_map("hn_ledger") == {"Amount (£)": "amount_gbp"}


def test_demo_rewrites_its_own_file_but_never_one_someone_wrote(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE_NAME
    path.write_text(demo_config_text().replace("la_code: 916", "la_code: 886"), encoding="utf-8")
    assert write_demo_config(path)  # still carries the demo's marker: the demo may replace it
    assert load_config(path).la_code == 916
    own = demo_config_text().replace(f"# {DEMO_CONFIG_MARKER}\n", "").replace("la_code: 916", "la_code: 886")
    path.write_text(own, encoding="utf-8")
    assert not write_demo_config(path)
    assert path.read_text(encoding="utf-8") == own
