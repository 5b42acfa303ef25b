with

source as (
    select * from {{ source('landing', 'schools') }}
),

renamed as (
    select
        school_urn,
        school_name,
        phase,
        governance,
        locality,
        opened_on,
        closed_on,
        predecessor_urn

    from source
)

select * from renamed
