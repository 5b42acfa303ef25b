with

source as (
    select * from {{ source('dfe', 'dfe_la_profiles') }}
),

renamed as (
    select
        -- ids
        cast(old_la_code as integer) as old_la_code,
        area_code,
        area_name,
        region_name,

        -- figures
        figure,
        period,
        cast(value as double) as value,
        value_note

    from source
)

select * from renamed
