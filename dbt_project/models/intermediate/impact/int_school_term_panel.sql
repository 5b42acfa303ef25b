with

outcomes as (
    select * from {{ ref('int_school_outcomes__latest') }}
),

current_urns as (
    select * from {{ ref('int_schools__current_urn') }}
),

linked as (
    -- an academy and the school it replaced are one series, under the URN the school holds now
    select
        outcomes.*,
        coalesce(current_urns.current_urn, outcomes.school_urn) as series_urn,
        coalesce(current_urns.conversions, 0) as conversions

    from outcomes
    left join current_urns
        on outcomes.school_urn = current_urns.school_urn
),

reporting_urns as (
    -- where two URNs of one school both report a term (a conversion mid-term), the newer URN's rows count
    select
        series_urn,
        academic_year,
        term,
        arg_min(school_urn, conversions) as reported_urn

    from linked
    where characteristic_group = 'total'
    group by series_urn, academic_year, term
),

reported as (
    select linked.*
    from linked
    inner join reporting_urns
        on linked.series_urn = reporting_urns.series_urn
        and linked.academic_year = reporting_urns.academic_year
        and linked.term = reporting_urns.term
        and linked.school_urn = reporting_urns.reported_urn
),

all_pupils as (
    select * from reported
    where characteristic_group = 'total'
),

ehcp_pupils as (
    select * from reported
    where characteristic_group = 'sen_status' and characteristic = 'ehcp'
),

timed as (
    select
        series_urn as school_urn,
        school_urn as reported_urn,
        academic_year,
        term,
        -- the start year of the academic year: `2022/23` → 2022
        cast(left(academic_year, 4) as integer) as start_year,
        case term when 'autumn' then 0 when 'spring' then 1 when 'summer' then 2 end as term_of_year,
        headcount,
        suspensions,
        permanent_exclusions,
        sessions_possible,
        sessions_missed,
        persistent_absentees

    from all_pupils
),

joined as (
    select
        timed.school_urn,
        timed.reported_urn,
        timed.academic_year,
        timed.term,
        -- consecutive across years, so a missing term leaves a visible gap
        timed.start_year * 3 + timed.term_of_year as term_index,

        -- dates: autumn September–December, spring January–March, summer April–August
        case timed.term
            when 'autumn' then make_date(timed.start_year, 9, 1)
            when 'spring' then make_date(timed.start_year + 1, 1, 1)
            when 'summer' then make_date(timed.start_year + 1, 4, 1)
        end as term_start_date,
        case timed.term
            when 'autumn' then make_date(timed.start_year, 12, 31)
            when 'spring' then make_date(timed.start_year + 1, 3, 31)
            when 'summer' then make_date(timed.start_year + 1, 8, 31)
        end as term_end_date,

        -- all pupils
        timed.headcount,
        timed.suspensions,
        timed.permanent_exclusions,
        timed.sessions_possible,
        timed.sessions_missed,
        timed.persistent_absentees,

        -- pupils with an EHCP
        ehcp_pupils.headcount as headcount_ehcp,
        ehcp_pupils.suspensions as suspensions_ehcp,
        ehcp_pupils.permanent_exclusions as permanent_exclusions_ehcp,
        ehcp_pupils.sessions_possible as sessions_possible_ehcp,
        ehcp_pupils.sessions_missed as sessions_missed_ehcp,
        ehcp_pupils.persistent_absentees as persistent_absentees_ehcp

    from timed
    left join ehcp_pupils
        on timed.reported_urn = ehcp_pupils.school_urn
        and timed.academic_year = ehcp_pupils.academic_year
        and timed.term = ehcp_pupils.term
),

final as (
    select
        *,

        -- rates per 100 pupils per term (NULL where the denominator is 0)
        suspensions * 100.0 / nullif(headcount, 0) as suspension_rate,
        permanent_exclusions * 100.0 / nullif(headcount, 0) as permanent_exclusion_rate,
        sessions_missed * 100.0 / nullif(sessions_possible, 0) as absence_rate,
        persistent_absentees * 100.0 / nullif(headcount, 0) as persistent_absence_rate,

        suspensions_ehcp * 100.0 / nullif(headcount_ehcp, 0) as suspension_rate_ehcp,
        permanent_exclusions_ehcp * 100.0 / nullif(headcount_ehcp, 0) as permanent_exclusion_rate_ehcp,
        case when headcount_ehcp > 0
            then sessions_missed_ehcp * 100.0 / nullif(sessions_possible_ehcp, 0)
        end as absence_rate_ehcp,
        persistent_absentees_ehcp * 100.0 / nullif(headcount_ehcp, 0) as persistent_absence_rate_ehcp

    from joined
)

select * from final
