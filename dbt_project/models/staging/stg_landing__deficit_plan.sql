with

source as (
    select * from {{ source('landing', 'deficit_plan') }}
),

renamed as (
    select
        -- keys
        financial_year,
        plan_version,
        _loaded_at as plan_loaded_at,
        _source_sha256 as plan_source_sha256,

        -- money
        cast(planned_hn_in_year_gbp as decimal(18, 2)) as planned_hn_in_year_gbp,
        cast(planned_closing_balance_gbp as decimal(18, 2)) as planned_closing_balance_gbp

    from source
)

select * from renamed
