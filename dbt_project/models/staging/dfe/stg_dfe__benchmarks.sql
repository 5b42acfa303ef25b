with

source as (
    select * from {{ source('dfe', 'dfe_benchmarks') }}
),

renamed as (
    select
        measure,
        period,
        geography_level,
        area_code,
        cast(old_la_code as integer) as old_la_code,
        area_name,
        region_name,
        s251_line,
        cast(value as double) as value,
        value_note

    from source
)

select * from renamed
