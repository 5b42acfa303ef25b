with

panel as (
    select * from {{ ref('int_school_term_panel') }}
),

cohorts as (
    select * from {{ ref('int_school_programme_cohorts') }}
),

schools as (
    select * from {{ ref('stg_landing__schools') }}
),

joined as (
    select
        -- ids
        panel.school_urn,
        cohorts.programme,
        panel.term_index,
        panel.academic_year,
        panel.term,
        panel.term_start_date,
        panel.term_end_date,
        panel.reported_urn,

        -- school
        schools.phase,

        -- treatment
        cohorts.first_treated_term_index,
        cohorts.first_treated_term_index > 0
            and panel.term_index >= cohorts.first_treated_term_index as is_treated,
        case when cohorts.first_treated_term_index > 0
            then panel.term_index - cohorts.first_treated_term_index
        end as relative_term,
        cohorts.first_other_programme_term_index,
        cohorts.programme_cost_gbp,

        -- all pupils
        panel.headcount,
        panel.suspensions,
        panel.permanent_exclusions,
        panel.sessions_possible,
        panel.sessions_missed,
        panel.persistent_absentees,
        panel.suspension_rate,
        panel.permanent_exclusion_rate,
        panel.absence_rate,
        panel.persistent_absence_rate,

        -- pupils with an EHCP
        panel.headcount_ehcp,
        panel.suspensions_ehcp,
        panel.permanent_exclusions_ehcp,
        panel.sessions_possible_ehcp,
        panel.sessions_missed_ehcp,
        panel.persistent_absentees_ehcp,
        panel.suspension_rate_ehcp,
        panel.permanent_exclusion_rate_ehcp,
        panel.absence_rate_ehcp,
        panel.persistent_absence_rate_ehcp

    from panel
    inner join cohorts
        on panel.school_urn = cohorts.school_urn
    left join schools
        on panel.school_urn = schools.school_urn
),

final as (
    select * from joined
)

select * from final
