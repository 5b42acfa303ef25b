with

panel as (
    select * from {{ ref('int_school_term_panel') }}
),

interventions as (
    select * from {{ ref('stg_landing__interventions') }}
),

current_urns as (
    select * from {{ ref('int_schools__current_urn') }}
),

panel_schools as (
    select distinct school_urn
    from panel
),

programmes as (
    select distinct programme
    from interventions
),

linked as (
    -- a programme started before an academy conversion is recorded under the old URN: same school
    select
        coalesce(current_urns.current_urn, interventions.school_urn) as school_urn,
        interventions.programme,
        interventions.start_date,
        interventions.cost_gbp

    from interventions
    left join current_urns
        on interventions.school_urn = current_urns.school_urn
),

first_starts as (
    -- treatment is absorbing: a school counts as treated from its earliest start, whatever the end date
    select
        school_urn,
        programme,
        min(start_date) as first_start_date,
        sum(cost_gbp) as programme_cost_gbp

    from linked
    group by school_urn, programme
),

first_terms as (
    -- the term the start date falls in: autumn September–December, spring January–March,
    -- summer April–August; the academic year starts in September
    select
        school_urn,
        programme,
        first_start_date,
        programme_cost_gbp,
        case when month(first_start_date) >= 9
            then year(first_start_date)
            else year(first_start_date) - 1
        end as start_year,
        case
            when month(first_start_date) >= 9 then 0
            when month(first_start_date) <= 3 then 1
            else 2
        end as term_of_year

    from first_starts
),

cohorts as (
    select
        school_urn,
        programme,
        first_start_date,
        programme_cost_gbp,
        cast(start_year as varchar) || '/' || right(cast(start_year + 1 as varchar), 2) as first_treated_academic_year,
        case term_of_year when 0 then 'autumn' when 1 then 'spring' else 'summer' end as first_treated_term,
        start_year * 3 + term_of_year as first_treated_term_index

    from first_terms
),

by_programme as (
    select
        panel_schools.school_urn,
        programmes.programme,
        cohorts.first_start_date,
        cohorts.first_treated_academic_year,
        cohorts.first_treated_term,
        -- 0 = never treated (no record of the programme at the school)
        coalesce(cohorts.first_treated_term_index, 0) as first_treated_term_index,
        coalesce(cohorts.programme_cost_gbp, 0) as programme_cost_gbp

    from panel_schools
    cross join programmes
    left join cohorts
        on panel_schools.school_urn = cohorts.school_urn
        and programmes.programme = cohorts.programme
),

any_programme as (
    -- every programme pooled: a school is treated from the first term it started any of them
    select
        school_urn,
        'any_programme' as programme,
        min(first_start_date) as first_start_date,
        arg_min(first_treated_academic_year, first_treated_term_index) filter (where first_treated_term_index > 0)
            as first_treated_academic_year,
        arg_min(first_treated_term, first_treated_term_index) filter (where first_treated_term_index > 0)
            as first_treated_term,
        coalesce(min(first_treated_term_index) filter (where first_treated_term_index > 0), 0)
            as first_treated_term_index,
        sum(programme_cost_gbp) as programme_cost_gbp

    from by_programme
    -- pooling one programme would only repeat it
    where (select count(*) from programmes) > 1
    group by school_urn
),

with_pooled as (
    select * from by_programme
    union all
    select * from any_programme
),

final as (
    select
        with_pooled.*,
        -- the school's first start of any other programme (0 = none; never set for the pooled row),
        -- which keeps it out of this programme's comparison group
        case when with_pooled.programme = 'any_programme' then 0
            else coalesce((
                select min(others.first_treated_term_index)
                from by_programme as others
                where others.school_urn = with_pooled.school_urn
                    and others.programme <> with_pooled.programme
                    and others.first_treated_term_index > 0
            ), 0)
        end as first_other_programme_term_index

    from with_pooled
)

select * from final
