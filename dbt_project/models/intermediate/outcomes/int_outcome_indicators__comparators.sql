{#- Public figures that measure the same thing as an indicator, by comparator (england or
    statistical_neighbours) and period. Only the independent special spend share has one: DfE's s251
    budgets per head by line, the 1.2.3 line's share of the published lines. -#}
with

benchmarks as (
    select * from {{ ref('benchmarks') }}
),

budget_lines as (
    select comparator, area_name, period, s251_line, value
    from benchmarks
    where measure = 'hn_budget_per_head_gbp'
        and comparator in ('england', 'statistical_neighbours')
),

independent_share as (
    select
        'independent_special_spend_share_pct' as indicator_id,
        comparator,
        period,
        any_value(area_name) as comparator_name,
        100.0 * sum(value) filter (where s251_line = '1.2.3') / nullif(sum(value), 0) as comparator_value
    from budget_lines
    group by comparator, period
),

final as (
    select
        indicator_id,
        comparator,
        period,
        comparator_name || ' (s251 budget ' || period || ')' as comparator_name,
        comparator_value
    from independent_share
    where comparator_value is not null
)

select * from final
