with

source as (
    select * from {{ source('landing', 'forecast_adjustments') }}
),

renamed as (
    select
        -- keys
        financial_year,
        as_from_month,
        s251_line,

        -- money (+ raises the forecast, − lowers it)
        cast(amount_gbp as decimal(18, 2)) as adjustment_gbp,

        -- audit trail
        reason,
        entered_by,
        entered_on,
        _source_row as source_row

    from source
)

select * from renamed
