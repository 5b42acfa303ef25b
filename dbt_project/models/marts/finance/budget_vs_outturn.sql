with

months as (
    select * from {{ ref('int_financial_years__months') }}
),

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

budgets as (
    select * from {{ ref('stg_landing__hn_budget') }}
),

placement_forecasts as (
    select * from {{ ref('int_placements__forecast_by_s251_line') }}
),

-- A year's outturn of a line is its whole year of ledger actuals; a year that began before the ledger's
-- first month has no outturn to compare with (NULL), a covered year with no spend on the line has 0.
ledger_start as (
    select min(ledger_month) as first_ledger_month from ledger_lines
),

outturns as (
    select
        financial_year,
        s251_line,
        sum(amount_gbp) as outturn_gbp
    from ledger_lines
    group by financial_year, s251_line
),

snapshots_as_at as (
    select * from {{ ref('int_placements__snapshot_as_at') }}
),

seasonal_profiles as (
    select * from {{ ref('int_ledger_lines__seasonal_profile') }}
),

adjustments as (
    select * from {{ ref('int_forecast_adjustments__by_line') }}
),

as_at_months as (
    select
        financial_year,
        month as as_at_month,
        month_of_financial_year as months_elapsed,
        month_end_date
    from months
    where is_elapsed
),

lines_of_year as (
    select financial_year, s251_line from ledger_lines
    union
    select financial_year, s251_line from budgets
    union
    select financial_year, s251_line from adjustments
),

grid as (
    select
        as_at_months.*,
        lines_of_year.s251_line
    from as_at_months
    inner join lines_of_year
        on as_at_months.financial_year = lines_of_year.financial_year
),

actuals_to_date as (
    select
        grid.financial_year,
        grid.as_at_month,
        grid.s251_line,
        coalesce(sum(ledger_lines.amount_gbp), 0) as actual_ytd_gbp,
        coalesce(sum(ledger_lines.amount_gbp) filter (where ledger_lines.placement_id is null), 0)
            as actual_ytd_without_placement_gbp
    from grid
    left join ledger_lines
        on grid.financial_year = ledger_lines.financial_year
        and grid.s251_line = ledger_lines.s251_line
        and ledger_lines.ledger_month <= grid.as_at_month
    group by grid.financial_year, grid.as_at_month, grid.s251_line
),

-- The latest revision approved by the end of M supersedes the line's original.
budget_as_at as (
    select
        grid.financial_year,
        grid.as_at_month,
        grid.s251_line,
        arg_max(budgets.budget_gbp, budgets.approved_on)
            filter (where budgets.budget_type = 'revised' and budgets.approved_on <= grid.month_end_date)
            as revised_budget_gbp,
        max(budgets.approved_on)
            filter (where budgets.budget_type = 'revised' and budgets.approved_on <= grid.month_end_date)
            as revised_approved_on,
        arg_max(budgets.budget_gbp, budgets.approved_on) filter (where budgets.budget_type = 'original')
            as original_budget_gbp
    from grid
    left join budgets
        on grid.financial_year = budgets.financial_year
        and grid.s251_line = budgets.s251_line
    group by grid.financial_year, grid.as_at_month, grid.s251_line
),

joined as (
    select
        grid.financial_year,
        grid.as_at_month,
        grid.s251_line,
        grid.months_elapsed,
        grid.months_elapsed = 12 as is_closed,
        coalesce(budget_as_at.revised_budget_gbp, budget_as_at.original_budget_gbp) as budget_gbp,
        case
            when budget_as_at.revised_budget_gbp is not null then 'revised'
            when budget_as_at.original_budget_gbp is not null then 'original'
        end as budget_type,
        budget_as_at.revised_approved_on,
        actuals_to_date.actual_ytd_gbp,
        actuals_to_date.actual_ytd_without_placement_gbp,
        placement_forecasts.placements_snapshot_month,
        coalesce(placement_forecasts.committed_placements_gbp, 0) as committed_placements_gbp,
        coalesce(placement_forecasts.growth_starters, 0) as growth_starters,
        coalesce(placement_forecasts.growth_gbp, 0) as growth_gbp,
        case
            when ledger_start.first_ledger_month
                <= strftime({{ financial_year_start('grid.financial_year') }} - interval 1 year, '%Y-%m')
                then coalesce(prior_outturns.outturn_gbp, 0)
        end as prior_year_outturn_gbp,
        coalesce(placement_forecasts.expected_leavers_gbp, 0) as expected_leavers_gbp,
        seasonal_profiles.profile_financial_year,
        seasonal_profiles.cumulative_share,
        coalesce(adjustments.adjustments_gbp, 0) as adjustments_gbp,
        snapshots_as_at.forecast_quality as snapshot_forecast_quality
    from grid
    cross join ledger_start
    inner join actuals_to_date
        on grid.financial_year = actuals_to_date.financial_year
        and grid.as_at_month = actuals_to_date.as_at_month
        and grid.s251_line = actuals_to_date.s251_line
    inner join budget_as_at
        on grid.financial_year = budget_as_at.financial_year
        and grid.as_at_month = budget_as_at.as_at_month
        and grid.s251_line = budget_as_at.s251_line
    left join placement_forecasts
        on grid.financial_year = placement_forecasts.financial_year
        and grid.as_at_month = placement_forecasts.as_at_month
        and grid.s251_line = placement_forecasts.s251_line
    left join outturns as prior_outturns
        on prior_outturns.financial_year
            = {{ financial_year_of_date(financial_year_start('grid.financial_year') ~ ' - interval 1 year') }}
        and grid.s251_line = prior_outturns.s251_line
    inner join snapshots_as_at
        on grid.as_at_month = snapshots_as_at.as_at_month
    left join seasonal_profiles
        on grid.financial_year = seasonal_profiles.financial_year
        and grid.s251_line = seasonal_profiles.s251_line
        and grid.months_elapsed = seasonal_profiles.month_of_financial_year
    left join adjustments
        on grid.financial_year = adjustments.financial_year
        and grid.as_at_month = adjustments.as_at_month
        and grid.s251_line = adjustments.s251_line
),

-- A closed year (its 12 months in) forecasts nothing: forecast = actual.
forecast as (
    select
        *,
        case when is_closed then 0 else committed_placements_gbp end as committed_to_placements_gbp,
        case
            when is_closed then 0
            else cast(round(
                cast(actual_ytd_without_placement_gbp as double) / months_elapsed * (12 - months_elapsed), 2
            ) as decimal(18, 2))
        end as run_rate_gbp,
        case when is_closed then 0 else growth_gbp end as growth_forecast_gbp
    from joined
),

-- The expected view beside it: leavers, last closed year's profile of the run-rate, manual adjustments.
expected as (
    select
        *,
        case when is_closed then 0 else expected_leavers_gbp end as expected_leavers_forecast_gbp,
        case
            when is_closed then 0
            when cumulative_share > 0
                then cast(round(
                    cast(actual_ytd_without_placement_gbp as double) * (1 - cumulative_share) / cumulative_share, 2
                ) as decimal(18, 2)) - run_rate_gbp
            else 0
        end as seasonality_gbp,
        case when is_closed or not cumulative_share > 0 then null else profile_financial_year end
            as seasonality_profile_year,
        case when is_closed then 0 else adjustments_gbp end as adjustments_forecast_gbp,
        -- a closed year's forecast is its outturn, which stands on no snapshot
        case when is_closed then 'ok' else snapshot_forecast_quality end as forecast_quality
    from forecast
),

final as (
    select
        -- keys
        financial_year,
        as_at_month,
        s251_line,
        months_elapsed,
        is_closed,

        -- budget
        cast(budget_gbp as decimal(18, 2)) as budget_gbp,
        budget_type,
        revised_approved_on as budget_revised_on,
        cast(prior_year_outturn_gbp as decimal(18, 2)) as prior_year_outturn_gbp,

        -- actuals and forecast
        cast(actual_ytd_gbp as decimal(18, 2)) as actual_ytd_gbp,
        placements_snapshot_month,
        cast(committed_to_placements_gbp as decimal(18, 2)) as committed_placements_gbp,
        run_rate_gbp,
        cast(committed_to_placements_gbp + run_rate_gbp as decimal(18, 2)) as committed_gbp,
        cast(actual_ytd_gbp + committed_to_placements_gbp + run_rate_gbp as decimal(18, 2)) as forecast_outturn_gbp,
        growth_starters,
        cast(growth_forecast_gbp as decimal(18, 2)) as growth_gbp,
        cast(actual_ytd_gbp + committed_to_placements_gbp + run_rate_gbp + growth_forecast_gbp as decimal(18, 2))
            as forecast_with_growth_gbp,

        -- variance (+ = overspend)
        cast(
            actual_ytd_gbp + committed_to_placements_gbp + run_rate_gbp + growth_forecast_gbp - budget_gbp
            as decimal(18, 2)
        ) as variance_gbp,
        case
            when budget_gbp <> 0
                then cast(
                    actual_ytd_gbp + committed_to_placements_gbp + run_rate_gbp + growth_forecast_gbp - budget_gbp
                    as double
                ) / cast(budget_gbp as double) * 100
        end as variance_pct,

        -- expected view (v2): forecast_with_growth + expected leavers + seasonality + adjustments
        cast(expected_leavers_forecast_gbp as decimal(18, 2)) as expected_leavers_gbp,
        seasonality_profile_year,
        cast(seasonality_gbp as decimal(18, 2)) as seasonality_gbp,
        cast(adjustments_forecast_gbp as decimal(18, 2)) as adjustments_gbp,
        cast(
            actual_ytd_gbp + committed_to_placements_gbp + run_rate_gbp + growth_forecast_gbp
            + expected_leavers_forecast_gbp + seasonality_gbp + adjustments_forecast_gbp
            as decimal(18, 2)
        ) as forecast_expected_gbp,
        cast(
            actual_ytd_gbp + committed_to_placements_gbp + run_rate_gbp + growth_forecast_gbp
            + expected_leavers_forecast_gbp + seasonality_gbp + adjustments_forecast_gbp - budget_gbp
            as decimal(18, 2)
        ) as variance_expected_gbp,
        forecast_quality

    from expected
)

select * from final
order by financial_year, as_at_month, s251_line
