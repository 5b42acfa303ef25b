{#-
    A model's rules on single columns, tested in one query: one row per broken (column, rule), naming both,
    with how many rows break it (`column_name`, `rule`, `failing_rows`). One test per model where dbt makes
    one per column and rule: each dbt test costs a run about 35 ms of fixed work, and the project has some
    360 such rules.

    Declared on the model and named after it (dbt would name it after its arguments, flattened), e.g.
        data_tests:
          - column_rules:
              name: column_rules_stg_landing__hn_budget
              arguments:
                accepted_values: {budget_type: [original, revised]}
                pounds_and_pence: [budget_gbp]
                matches_pattern: {financial_year: '\d{4}-\d{2}'}

    Arguments (each optional, at least one; a column may appear under several). NULL passes every rule.
      accepted_values:  {column: [value, ...]}, or {column: {values: [...], quote: false}} to compare
                        unquoted (numbers), as dbt's accepted_values does.
      unique:           [column, ...]; failing_rows counts the rows beyond the first of each value.
      not_negative:     [column, ...]  money and counts that can never be below zero (costs, headcounts).
      not_positive:     [column, ...]  money that can only lower a figure (expected leavers off the forecast).
      pounds_and_pence: [column, ...]  pounds to at most 2 decimals: a third is a unit or rounding slip upstream.
      matches_pattern:  {column: regex}  text keys of a fixed shape (`2025-26`, `2025-10`, `2025/26`), matched
                        whole.
      relationships:    {column: {to: ref('parent'), field: parent_column}}  every value is one of the parent's.
                        dbt renders `to` with `ref` when it parses the project, so the test depends on the parent.

    Why some models have more than one entry: dbt holds a model's descendants back only for the tests whose
    every parent is upstream of them. A relationship to a model that is not upstream of this one would, in
    the main entry, let this model's descendants build before any of its rules is checked; it has an entry
    of its own per parent (`column_rules_<model>__to_<parent>`), as dbt's relationships test had. Rules with a
    `config` of their own (severity: warn) have their own entry too (`column_rules_<model>__warn`).
-#}
{% test column_rules(
    model,
    accepted_values={},
    unique=[],
    not_negative=[],
    not_positive=[],
    pounds_and_pence=[],
    matches_pattern={},
    relationships={}
) %}
{%- set checks = [] -%}

{%- for column, accepted in accepted_values.items() -%}
    {%- set values = accepted['values'] if accepted is mapping else accepted -%}
    {%- set quote = accepted.get('quote', true) if accepted is mapping else true -%}
    {%- set listed = [] -%}
    {%- for value in values -%}
        {%- do listed.append("'" ~ value ~ "'" if quote else value | string) -%}
    {%- endfor -%}
    {%- do checks.append({
        'column': column,
        'rule': 'accepted_values',
        'failing_rows': 'count(*) filter (where ' ~ adapter.quote(column) ~ ' not in (' ~ listed | join(', ') ~ '))'
    }) -%}
{%- endfor -%}

{%- for column in unique -%}
    {%- do checks.append({
        'column': column,
        'rule': 'unique',
        'failing_rows': 'count(' ~ adapter.quote(column) ~ ') - count(distinct ' ~ adapter.quote(column) ~ ')'
    }) -%}
{%- endfor -%}

{%- for rule, columns, broken_when in [
    ('not_negative', not_negative, '{column} < 0'),
    ('not_positive', not_positive, '{column} > 0'),
    ('pounds_and_pence', pounds_and_pence, 'round({column}, 2) <> {column}')
] -%}
    {%- for column in columns -%}
        {%- do checks.append({
            'column': column,
            'rule': rule,
            'failing_rows': 'count(*) filter (where ' ~ broken_when.replace('{column}', adapter.quote(column)) ~ ')'
        }) -%}
    {%- endfor -%}
{%- endfor -%}

{%- for column, pattern in matches_pattern.items() -%}
    {%- do checks.append({
        'column': column,
        'rule': 'matches_pattern',
        'failing_rows': 'count(*) filter (where not regexp_full_match(' ~ adapter.quote(column)
            ~ ", '" ~ pattern ~ "'))"
    }) -%}
{%- endfor -%}

{%- for column, parent in relationships.items() -%}
    {#- The anti-join dbt's relationships test makes, in the same scan: `not in` a list without NULLs, and
        the `is not null` because a NULL is `not in` an empty list. -#}
    {%- do checks.append({
        'column': column,
        'rule': 'relationships',
        'failing_rows': 'count(*) filter (where ' ~ adapter.quote(column) ~ ' is not null and '
            ~ adapter.quote(column) ~ ' not in (select '
            ~ adapter.quote(parent['field']) ~ ' from ' ~ parent['to'] ~ ' where '
            ~ adapter.quote(parent['field']) ~ ' is not null))'
    }) -%}
{%- endfor -%}

{%- if not checks -%}
    {{ exceptions.raise_compiler_error("column_rules on " ~ model ~ " lists no rule") }}
{%- endif %}

with failing_counts as (
    select
        [
            {%- for check in checks %}
            {
                'column_name': '{{ check.column }}',
                'rule': '{{ check.rule }}',
                'failing_rows': {{ check.failing_rows }}
            }
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        ] as checks
    from {{ model }}
),

by_rule as (
    select unnest(checks, recursive := true)
    from failing_counts
)

select column_name, rule, failing_rows
from by_rule
where failing_rows > 0
{% endtest %}
