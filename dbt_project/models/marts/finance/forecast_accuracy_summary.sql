with

accuracy as (
    select * from {{ ref('forecast_accuracy') }}
    where is_scored
),

by_month_of_year as (
    select
        view,
        months_elapsed,
        count(*) as forecasts_scored,
        min(financial_year) as first_financial_year,
        max(financial_year) as last_financial_year,
        avg(abs(error_pct)) as mape_pct,
        avg(error_pct) as mean_signed_error_pct,
        avg(error_gbp) as mean_error_gbp
    from accuracy
    group by view, months_elapsed
),

overall as (
    select
        view,
        null as months_elapsed,
        count(*) as forecasts_scored,
        min(financial_year) as first_financial_year,
        max(financial_year) as last_financial_year,
        avg(abs(error_pct)) as mape_pct,
        avg(error_pct) as mean_signed_error_pct,
        avg(error_gbp) as mean_error_gbp
    from accuracy
    group by view
),

unioned as (
    select * from by_month_of_year
    union all
    select * from overall
),

final as (
    select
        -- keys
        cast(view as varchar) as view,
        cast(months_elapsed as integer) as months_elapsed,
        cast(
            case
                when months_elapsed is null then 'all months'
                else monthname(make_date(2000, (months_elapsed + 2) % 12 + 1, 1))
            end as varchar
        ) as as_at_month_name,

        -- what was scored
        cast(forecasts_scored as integer) as forecasts_scored,
        cast(first_financial_year as varchar) as first_financial_year,
        cast(last_financial_year as varchar) as last_financial_year,

        -- accuracy (+ = forecasts too high); 9 places, so a mean of doubles is the same figure on every run
        cast(round(mape_pct, 9) as double) as mape_pct,
        cast(round(mean_signed_error_pct, 9) as double) as mean_signed_error_pct,
        cast(round(mean_error_gbp, 2) as decimal(18, 2)) as mean_error_gbp

    from unioned
)

select * from final
order by view, months_elapsed nulls last
