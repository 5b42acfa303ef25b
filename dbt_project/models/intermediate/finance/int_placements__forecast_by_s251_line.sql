with

months as (
    select * from {{ ref('int_financial_years__months') }}
),

placements as (
    select * from {{ ref('int_placements__with_s251_line') }}
),

snapshots_as_at as (
    select * from {{ ref('int_placements__snapshot_as_at') }}
    where placements_snapshot_month is not null
),

hazards as (
    select * from {{ ref('int_placements__leaving_hazard') }}
),

as_at_months as (
    select * from months
    where is_elapsed
),

-- Each month left after M, with the years from its first day to 31 March (inclusive) ÷ days in the year.
remaining_months as (
    select
        as_at_months.financial_year,
        as_at_months.month as as_at_month,
        (date_diff('day', later_months.month_start_date, later_months.year_end_date) + 1)
            / later_months.days_in_financial_year as years_to_year_end
    from as_at_months
    inner join months as later_months
        on as_at_months.financial_year = later_months.financial_year
        and later_months.month > as_at_months.month
),

remaining_year_fraction as (
    select
        as_at_months.financial_year,
        as_at_months.month as as_at_month,
        coalesce(sum(remaining_months.years_to_year_end), 0) as remaining_year_fraction
    from as_at_months
    left join remaining_months
        on as_at_months.month = remaining_months.as_at_month
    group by as_at_months.financial_year, as_at_months.month
),

placements_as_at as (
    select
        snapshots_as_at.financial_year,
        snapshots_as_at.as_at_month,
        snapshots_as_at.placements_snapshot_month,
        as_at_months.month_end_date,
        as_at_months.year_end_date,
        as_at_months.days_in_financial_year,
        placements.placement_id,
        placements.provision_type,
        placements.s251_line,
        placements.placement_end,
        cast(placements.annual_cost_gbp as double) as annual_cost_gbp,
        coalesce(hazards.hazard, 0) as hazard,
        -- placements that will start after M are not yet committed: growth stands for them
        placements.placement_start <= as_at_months.month_end_date as is_started,
        placements.placement_start
            between cast(as_at_months.month_start_date - interval 11 month as date) and as_at_months.month_end_date
            as is_recent_starter
    from snapshots_as_at
    inner join as_at_months
        on snapshots_as_at.as_at_month = as_at_months.month
    inner join placements
        on snapshots_as_at.placements_snapshot_month = placements.snapshot_month
    left join hazards
        on snapshots_as_at.as_at_month = hazards.as_at_month
        and placements.provision_type = hazards.provision_type
),

with_open_days as (
    select
        *,
        case
            when is_started then greatest(
                0,
                date_diff(
                    'day',
                    month_end_date,
                    least(coalesce(placement_end, year_end_date), year_end_date)
                )
            )
            else 0
        end as open_days_after_as_at
    from placements_as_at
),

-- Expected view: an open placement with no planned end may leave any day at its type's hazard.
with_expected_years as (
    select
        *,
        case
            when placement_end is null
                then {{ expected_years_open('hazard', 'open_days_after_as_at / days_in_financial_year') }}
            else open_days_after_as_at / days_in_financial_year
        end as expected_years_after_as_at
    from with_open_days
),

-- Starters expected after M leave at the same hazard, each from the month it starts.
growth_expected as (
    select
        with_expected_years.financial_year,
        with_expected_years.as_at_month,
        with_expected_years.s251_line,
        sum(
            with_expected_years.annual_cost_gbp / 12
            * {{ expected_years_open('with_expected_years.hazard', 'remaining_months.years_to_year_end') }}
        ) as growth_expected_gbp
    from with_expected_years
    inner join remaining_months
        on with_expected_years.as_at_month = remaining_months.as_at_month
    where with_expected_years.is_recent_starter
    group by with_expected_years.financial_year, with_expected_years.as_at_month, with_expected_years.s251_line
),

by_line as (
    select
        financial_year,
        as_at_month,
        s251_line,
        any_value(placements_snapshot_month) as snapshot_month,
        count(*) filter (where open_days_after_as_at > 0) as committed_placements,
        coalesce(sum(annual_cost_gbp * open_days_after_as_at / days_in_financial_year), 0) as committed_placements_gbp,
        coalesce(sum(annual_cost_gbp * (expected_years_after_as_at - open_days_after_as_at / days_in_financial_year)), 0)
            as committed_leavers_gbp,
        count(*) filter (where is_recent_starter) as growth_starters,
        avg(annual_cost_gbp) filter (where is_recent_starter) as growth_mean_annual_cost_gbp
    from with_expected_years
    group by financial_year, as_at_month, s251_line
),

joined as (
    select
        by_line.*,
        remaining_year_fraction.remaining_year_fraction,
        coalesce(
            by_line.growth_starters / 12 * by_line.growth_mean_annual_cost_gbp
            * remaining_year_fraction.remaining_year_fraction,
            0
        ) as growth_gbp,
        coalesce(growth_expected.growth_expected_gbp, 0) as growth_expected_gbp
    from by_line
    inner join remaining_year_fraction
        on by_line.financial_year = remaining_year_fraction.financial_year
        and by_line.as_at_month = remaining_year_fraction.as_at_month
    left join growth_expected
        on by_line.financial_year = growth_expected.financial_year
        and by_line.as_at_month = growth_expected.as_at_month
        and by_line.s251_line = growth_expected.s251_line
),

final as (
    select
        -- keys
        financial_year,
        as_at_month,
        s251_line,
        snapshot_month as placements_snapshot_month,

        -- committed (v1: every open placement stays to 31 March)
        committed_placements,
        cast(round(committed_placements_gbp, 2) as decimal(18, 2)) as committed_placements_gbp,

        -- growth (v1: every starter stays to 31 March)
        growth_starters,
        cast(round(growth_mean_annual_cost_gbp, 2) as decimal(18, 2)) as growth_mean_annual_cost_gbp,
        remaining_year_fraction,
        cast(round(growth_gbp, 2) as decimal(18, 2)) as growth_gbp,

        -- expected view: what leavers take off committed and growth (≤ 0)
        cast(round(committed_leavers_gbp, 2) as decimal(18, 2)) as committed_leavers_gbp,
        cast(round(growth_expected_gbp - growth_gbp, 2) as decimal(18, 2)) as growth_leavers_gbp,
        cast(round(committed_leavers_gbp, 2) + round(growth_expected_gbp - growth_gbp, 2) as decimal(18, 2))
            as expected_leavers_gbp

    from joined
)

select * from final
