"""`column_rules`, the one test per model that replaces a test per column and rule (accepted_values, unique,
not_negative, not_positive, pounds_and_pence, matches_pattern, relationships)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_manifest import manifest_json
from tests.conftest import DemoRun
from tests.support.pipeline import dbt_against

SPOIL = """
-- projection_unit_costs: one row breaking each of five rules
update marts.projection_unit_costs set unit_cost_basis = 'guessed' where provision_type = 'eotas';
insert into marts.projection_unit_costs
    select * from marts.projection_unit_costs where provision_type = 'early_years';
update marts.projection_unit_costs set placements_costed = -2 where provision_type = 'hospital_education';
-- a model that forgot to round: the column's type would allow a third decimal
alter table marts.projection_unit_costs alter unit_cost_gbp type decimal(18, 3);
update marts.projection_unit_costs set unit_cost_gbp = unit_cost_gbp + 0.005
    where provision_type = 'post16_fe';
update marts.projection_unit_costs set provision_type = 'resourced_provison'
    where provision_type = 'resourced_provision';

-- a pattern, and an accepted value compared as a number (`quote: false`)
update intermediate.int_financial_years__period_covered
    set financial_year = replace(financial_year, '-', '/'), months_elapsed = 13
    where financial_year = (select min(financial_year) from intermediate.int_financial_years__period_covered);

-- a leaver that adds cost
update marts.budget_vs_outturn set expected_leavers_gbp = 120.00
    where rowid = (select min(rowid) from marts.budget_vs_outturn);

-- a lookup in a seed that is not upstream of the tested seed (an entry of its own)
update reference.typical_annual_costs set provision_type = 'home_education'
    where provision_type = 'eotas';

-- a rule with `severity: warn`: two schools replacing one predecessor
update raw.schools set predecessor_urn = (select min(predecessor_urn) from raw.schools)
    where rowid = (select min(rowid) from raw.schools where predecessor_urn is null);
"""

EXPECTED = {
    "column_rules_projection_unit_costs": (
        "fail",
        {
            ("unit_cost_basis", "accepted_values", 1),
            ("provision_type", "unique", 1),
            ("placements_costed", "not_negative", 1),
            ("unit_cost_gbp", "pounds_and_pence", 1),
            ("provision_type", "relationships", 1),
        },
    ),
    "column_rules_int_financial_years__period_covered": (
        "fail",
        {("months_elapsed", "accepted_values", 1), ("financial_year", "matches_pattern", 1)},
    ),
    "column_rules_budget_vs_outturn": ("fail", {("expected_leavers_gbp", "not_positive", 1)}),
    "column_rules_typical_annual_costs__to_provision_types": (
        "fail",
        {("provision_type", "relationships", 1)},
    ),
    "column_rules_stg_landing__schools__warn": ("warn", {("predecessor_urn", "unique", 1)}),
}


def _test(warehouse: Path, target: Path) -> tuple[int, dict[str, dict]]:
    """`dbt test` of the tests in EXPECTED alone, storing failures; the return code, and results by test."""
    completed = dbt_against(warehouse, target, "test", "--quiet", "--select", *EXPECTED, "--store-failures")
    results = json.loads((target / "run_results.json").read_text())["results"]
    return completed.returncode, {result["unique_id"].split(".")[2]: result for result in results}


@pytest.mark.slow
def test_each_broken_rule_fails_the_models_test_with_one_row_naming_the_column_the_rule_and_the_count(
    demo_run: DemoRun, tmp_path: Path
):
    warehouse = demo_run.warehouse_copy(tmp_path)

    clean_returncode, clean = _test(warehouse, tmp_path / "clean")
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(SPOIL)
    spoiled_returncode, spoiled = _test(warehouse, tmp_path / "spoiled")

    assert clean_returncode == 0
    assert {name: (result["status"], result["failures"]) for name, result in clean.items()} == {
        name: ("pass", 0) for name in EXPECTED
    }
    assert spoiled_returncode == 1
    stored = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for name, result in spoiled.items():
            rows = connection.execute(
                f"select column_name, rule, failing_rows from {result['relation_name']}"
            ).fetchall()
            assert result["failures"] == len(rows)  # dbt counts the broken (column, rule) pairs
            stored[name] = (result["status"], set(rows))
    assert stored == EXPECTED


def test_a_rule_looking_values_up_in_another_model_makes_the_test_depend_on_it_and_holds_back_nothing_less():
    """The relationships rules carry dbt's dependency edge, and a test holding other rules reads no model
    that is not upstream of the tested one (else `dbt build` would not hold its descendants back for it)."""
    manifest = manifest_json()
    nodes = manifest["nodes"]

    def ancestors(unique_id: str) -> set[str]:
        found: set[str] = set()
        todo = [unique_id]
        while todo:
            for parent in manifest["parent_map"][todo.pop()]:
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    tests = [
        node
        for node in nodes.values()
        if node["resource_type"] == "test" and node["test_metadata"]["name"] == "column_rules"
    ]
    assert len(tests) > 60
    for test in tests:
        kwargs = test["test_metadata"]["kwargs"]
        tested = test["attached_node"]
        looked_up = {
            re.fullmatch(r"ref\('(\w+)'\)", rule["to"]).group(1)
            for rule in kwargs.get("relationships", {}).values()
        }
        parents = set(test["depends_on"]["nodes"]) - {tested}
        assert {nodes[parent]["name"] for parent in parents} == looked_up, test["name"]
        elsewhere = parents - ancestors(tested)
        if elsewhere:  # only a lookup in that one model
            assert set(kwargs) - {"model"} == {"relationships"} and len(parents) == 1, test["name"]

    (placements,) = [
        test for test in tests if test["name"] == "column_rules_stg_landing__placements__to_ethnicity_codes"
    ]
    assert sorted(placements["depends_on"]["nodes"]) == [
        "model.highneeds.stg_landing__placements",
        "seed.highneeds.ethnicity_codes",
    ]
