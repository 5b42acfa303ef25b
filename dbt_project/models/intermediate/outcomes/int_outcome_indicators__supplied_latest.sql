with

deliveries as (
    select * from {{ ref('stg_landing__outcome_indicators') }}
),

ranked as (
    -- The latest delivery wins per indicator × period: the one loaded last; among files loaded together,
    -- the newer monthly delivery, and a monthly delivery over the whole file (its delivery_month is NULL).
    select
        *,
        row_number() over (
            partition by indicator_id, period
            order by loaded_at desc, delivery_month desc nulls last, source_file desc
        ) as delivery_rank
    from deliveries
),

final as (
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
        source_file,
        source_row

    from ranked
    where delivery_rank = 1
)

select * from final
