with

source as (
    select * from {{ source('landing', 'interventions') }}
),

renamed as (
    select
        school_urn,
        programme,
        start_date,
        end_date,
        cast(cost_gbp as decimal(18, 2)) as cost_gbp

    from source
)

select * from renamed
