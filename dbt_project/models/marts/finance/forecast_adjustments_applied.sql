with

adjustments as (
    select * from {{ ref('stg_landing__forecast_adjustments') }}
),

lines as (
    select * from {{ ref('s251_lines') }}
),

financial_years as (
    select * from {{ ref('int_financial_years__period_covered') }}
),

final as (
    select
        -- keys
        adjustments.financial_year,
        adjustments.as_from_month,
        adjustments.s251_line,
        lines.s251_name,

        -- the adjustment and its audit trail
        adjustments.adjustment_gbp,
        adjustments.reason,
        adjustments.entered_by,
        adjustments.entered_on,

        -- does the latest forecast of its year include it?
        coalesce(
            adjustments.as_from_month <= financial_years.latest_ledger_month and not financial_years.is_closed,
            false
        ) as is_in_latest_forecast

    from adjustments
    left join lines
        on adjustments.s251_line = lines.s251_line
    left join financial_years
        on adjustments.financial_year = financial_years.financial_year
)

select * from final
order by financial_year, as_from_month, s251_line
