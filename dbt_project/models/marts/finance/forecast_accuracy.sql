with

forecasts as (
    select * from {{ ref('budget_vs_outturn') }}
),

financial_years as (
    select * from {{ ref('int_financial_years__period_covered') }}
),

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

outturns as (
    select
        ledger_lines.financial_year,
        sum(ledger_lines.amount_gbp) as outturn_gbp
    from ledger_lines
    inner join financial_years
        on ledger_lines.financial_year = financial_years.financial_year
    where financial_years.is_closed
    group by ledger_lines.financial_year
),

-- The whole block's forecast as it stood at each as-at month before the year closed.
forecasts_by_month as (
    select
        financial_year,
        as_at_month,
        any_value(months_elapsed) as months_elapsed,
        any_value(forecast_quality) as forecast_quality,
        sum(forecast_with_growth_gbp) as commitment_gbp,
        sum(forecast_expected_gbp) as expected_gbp
    from forecasts
    where months_elapsed between 1 and 11
    group by financial_year, as_at_month
),

by_view as (
    select financial_year, as_at_month, months_elapsed, forecast_quality, 'commitment' as view, commitment_gbp as forecast_gbp
    from forecasts_by_month
    union all
    select financial_year, as_at_month, months_elapsed, forecast_quality, 'expected' as view, expected_gbp as forecast_gbp
    from forecasts_by_month
),

final as (
    select
        -- keys
        cast(by_view.financial_year as varchar) as financial_year,
        cast(by_view.as_at_month as varchar) as as_at_month,
        cast(by_view.view as varchar) as view,
        cast(by_view.months_elapsed as integer) as months_elapsed,

        -- forecast against outturn (+ error = the forecast was too high)
        cast(by_view.forecast_gbp as decimal(18, 2)) as forecast_gbp,
        cast(outturns.outturn_gbp as decimal(18, 2)) as outturn_gbp,
        cast(by_view.forecast_gbp - outturns.outturn_gbp as decimal(18, 2)) as error_gbp,
        case
            when outturns.outturn_gbp <> 0
                then cast(by_view.forecast_gbp - outturns.outturn_gbp as double) / cast(outturns.outturn_gbp as double) * 100
        end as error_pct,

        -- a forecast with no placements snapshot to stand on is shown but not scored
        cast(by_view.forecast_quality as varchar) as forecast_quality,
        by_view.forecast_quality <> 'no_snapshot' as is_scored

    from by_view
    inner join outturns
        on by_view.financial_year = outturns.financial_year
)

select * from final
order by financial_year, as_at_month, view
