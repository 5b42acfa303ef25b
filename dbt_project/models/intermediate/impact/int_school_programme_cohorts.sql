with

panel as (
    select * from {{ ref('int_school_term_panel') }}
),

interventions as (
    select * from {{ ref('stg_landing__interventions') }}
),

panel_schools as (
    select distinct school_urn
    from panel
),

programmes as (
    select distinct programme
    from interventions
),

first_starts as (
    -- treatment is absorbing: a school counts as treated from its earliest start, whatever the end date
    select
        school_urn,
        programme,
        min(start_date) as first_start_date

    from interventions
    group by school_urn, programme
),

first_terms as (
    -- the term the start date falls in: autumn September–December, spring January–March,
    -- summer April–August; the academic year starts in September
    select
        school_urn,
        programme,
        first_start_date,
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
        cast(start_year as varchar) || '/' || right(cast(start_year + 1 as varchar), 2) as first_treated_academic_year,
        case term_of_year when 0 then 'autumn' when 1 then 'spring' else 'summer' end as first_treated_term,
        start_year * 3 + term_of_year as first_treated_term_index

    from first_terms
),

final as (
    select
        panel_schools.school_urn,
        programmes.programme,
        cohorts.first_start_date,
        cohorts.first_treated_academic_year,
        cohorts.first_treated_term,
        -- 0 = never treated (no record of the programme at the school)
        coalesce(cohorts.first_treated_term_index, 0) as first_treated_term_index

    from panel_schools
    cross join programmes
    left join cohorts
        on panel_schools.school_urn = cohorts.school_urn
        and programmes.programme = cohorts.programme
)

select * from final
