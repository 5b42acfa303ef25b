with

source as (
    select * from {{ source('landing', 'deficit_plan') }}
),

renamed as (
    select
        financial_year,
        cast(planned_hn_in_year_gbp as decimal(18, 2)) as planned_hn_in_year_gbp,
        cast(planned_closing_balance_gbp as decimal(18, 2)) as planned_closing_balance_gbp,
        plan_version

    from source
)

select * from renamed
