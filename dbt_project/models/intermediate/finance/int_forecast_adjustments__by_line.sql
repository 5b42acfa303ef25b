with

months as (
    select * from {{ ref('int_financial_years__months') }}
),

adjustments as (
    select * from {{ ref('stg_landing__forecast_adjustments') }}
),

as_at_months as (
    select * from months
    where is_elapsed
),

-- An adjustment counts in its year's forecasts from its as_from_month on, never before.
applied as (
    select
        as_at_months.financial_year,
        as_at_months.month as as_at_month,
        adjustments.s251_line,
        adjustments.adjustment_gbp,
        adjustments.entered_on
    from as_at_months
    inner join adjustments
        on as_at_months.financial_year = adjustments.financial_year
        and adjustments.as_from_month <= as_at_months.month
),

final as (
    select
        -- keys
        financial_year,
        as_at_month,
        s251_line,

        -- adjustments in force at M
        count(*) as adjustments,
        cast(sum(adjustment_gbp) as decimal(18, 2)) as adjustments_gbp,
        max(entered_on) as latest_entered_on

    from applied
    group by financial_year, as_at_month, s251_line
)

select * from final
