with

figures as (
    select * from {{ ref('stg_dfe__la_profiles') }}
),

published as (
    select * from {{ ref('stg_dfe__benchmarks') }}
    where geography_level = 'la'
),

-- One row per current LA with the benchmarking table's figures side by side.
profiles as (
    select
        old_la_code,
        max(value) filter (where figure = 'population_2_18') as population_2_18,
        max(value) filter (where figure = 'ehc_plans') as ehc_plans,
        max(value) filter (where figure = 'ehc_plans_independent_special') as ehc_plans_independent_special
    from figures
    group by old_la_code
),

budget_year as (
    select max(period) as period from published where measure = 'hn_budget_per_head_gbp'
),

-- The table's budget lines partition the High Needs budget, so their per-head figures add up to the whole;
-- an LA missing any line has no total.
budget_per_head as (
    select
        published.old_la_code,
        -- summed as decimals: a sum of doubles depends on the order DuckDB's threads meet the rows
        cast(sum(cast(published.value as decimal(18, 6))) as double) as hn_budget_per_head_gbp
    from published
    inner join budget_year on published.period = budget_year.period
    where published.measure = 'hn_budget_per_head_gbp'
    group by published.old_la_code
    having count(published.value) = count(*)
),

new_plans_year as (
    select max(period) as period from published where measure = 'ehc_new_plans'
),

new_plans as (
    select
        published.old_la_code,
        published.value as ehc_new_plans
    from published
    inner join new_plans_year on published.period = new_plans_year.period
    where published.measure = 'ehc_new_plans'
        and published.value is not null
),

indicators as (
    select old_la_code, 'log_population_2_18' as indicator, ln(population_2_18) as value
    from profiles
    where population_2_18 > 0

    union all

    select old_la_code, 'ehc_plans_per_1000_aged_2_18', ehc_plans / population_2_18 * 1000
    from profiles
    where population_2_18 > 0 and ehc_plans is not null

    union all

    select old_la_code, 'independent_special_pct_of_ehc_plans', ehc_plans_independent_special / ehc_plans * 100
    from profiles
    where ehc_plans > 0 and ehc_plans_independent_special is not null

    union all

    select profiles.old_la_code, 'hn_budget_per_head_gbp', budget_per_head.hn_budget_per_head_gbp
    from profiles
    inner join budget_per_head on profiles.old_la_code = budget_per_head.old_la_code

    union all

    select profiles.old_la_code, 'ehc_new_plans_per_10000_aged_2_18',
        new_plans.ehc_new_plans / profiles.population_2_18 * 10000
    from profiles
    inner join new_plans on profiles.old_la_code = new_plans.old_la_code
    where profiles.population_2_18 > 0
),

-- Standardised across the LAs that have the indicator, so each indicator weighs the same in the distance.
-- Rounded to 9 places: a window's mean and spread of doubles can differ in the last bit from run to run
-- with the order rows arrive in, and a rebuild must give the same figures to the last digit.
final as (
    select
        old_la_code,
        indicator,
        value,
        round(
            (value - avg(value) over (partition by indicator))
            / nullif(stddev_pop(value) over (partition by indicator), 0),
            9
        ) as z_score
    from indicators
)

select * from final
