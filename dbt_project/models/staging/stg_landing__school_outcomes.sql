with

source as (
    select * from {{ source('landing', 'school_outcomes') }}
),

renamed as (
    select
        school_urn,
        academic_year,
        term,
        characteristic_group,
        characteristic,

        -- counts
        headcount,
        suspensions,
        permanent_exclusions,
        sessions_possible,
        sessions_missed,
        persistent_absentees,

        -- delivery
        _extract_month as delivery_month,
        _source_row as source_row

    from source
)

select * from renamed
