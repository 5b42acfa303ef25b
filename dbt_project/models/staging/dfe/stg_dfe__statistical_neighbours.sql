with

source as (
    select * from {{ source('dfe', 'dfe_statistical_neighbours') }}
),

renamed as (
    select
        cast(old_la_code as integer) as old_la_code,
        name as area_name,
        role as neighbour_role

    from source
)

select * from renamed
