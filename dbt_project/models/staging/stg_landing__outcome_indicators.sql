with

source as (
    select * from {{ source('landing', 'outcome_indicators') }}
),

renamed as (
    select
        -- keys
        indicator_id,
        period,

        -- figures
        value,
        numerator,
        denominator,
        note,

        -- delivery
        nullif(_extract_month, '') as delivery_month,
        _loaded_at as loaded_at,
        _source_file as source_file,
        _source_row as source_row

    from source
)

select * from renamed
