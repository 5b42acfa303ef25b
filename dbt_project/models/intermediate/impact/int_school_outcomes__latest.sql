with

outcomes as (
    select * from {{ ref('stg_landing__school_outcomes') }}
),

latest_delivery as (
    -- A later delivery replaces the rows of the same school × year × term as a whole (contract), so the
    -- delivery is chosen per school term, not per characteristic row.
    select
        school_urn,
        academic_year,
        term,
        max(delivery_month) as delivery_month

    from outcomes
    group by school_urn, academic_year, term
),

final as (
    select
        outcomes.school_urn,
        outcomes.academic_year,
        outcomes.term,
        outcomes.characteristic_group,
        outcomes.characteristic,

        -- counts
        outcomes.headcount,
        outcomes.suspensions,
        outcomes.permanent_exclusions,
        outcomes.sessions_possible,
        outcomes.sessions_missed,
        outcomes.persistent_absentees,

        -- delivery
        outcomes.delivery_month

    from outcomes
    inner join latest_delivery
        on outcomes.school_urn = latest_delivery.school_urn
        and outcomes.academic_year = latest_delivery.academic_year
        and outcomes.term = latest_delivery.term
        and outcomes.delivery_month = latest_delivery.delivery_month
)

select * from final
