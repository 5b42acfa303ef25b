with

source as (
    select * from {{ source('installation', 'installation_benchmark_areas') }}
),

renamed as (
    select
        cast(old_la_code as integer) as old_la_code,
        role as neighbour_role,
        cast(list_position as integer) as list_position,
        neighbours_note

    from source
)

select * from renamed
