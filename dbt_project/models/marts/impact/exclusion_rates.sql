with

outcomes as (
    select * from {{ ref('int_school_outcomes__latest') }}
),

school_years as (
    -- one row per school × year × characteristic: the headcount is the spring term's (the January
    -- census), else the mean of the terms present; events are summed over the terms present
    select
        school_urn,
        academic_year,
        characteristic_group,
        characteristic,
        coalesce(
            max(case when term = 'spring' then headcount end),
            avg(headcount)
        ) as headcount,
        sum(suspensions) as suspensions,
        sum(permanent_exclusions) as permanent_exclusions

    from outcomes
    group by school_urn, academic_year, characteristic_group, characteristic
),

terms_by_characteristic as (
    select
        academic_year,
        characteristic_group,
        characteristic,
        count(distinct term) as terms_present

    from outcomes
    group by academic_year, characteristic_group, characteristic
),

characteristic_years as (
    select
        academic_year,
        characteristic_group,
        characteristic,
        count(distinct school_urn) as n_schools,
        cast(sum(headcount) as double) as headcount,
        cast(sum(suspensions) as bigint) as suspensions,
        cast(sum(permanent_exclusions) as bigint) as permanent_exclusions

    from school_years
    group by academic_year, characteristic_group, characteristic
),

with_group_totals as (
    -- totals over every characteristic of the group (so `unclassified` counts among "all other pupils")
    select
        *,
        sum(headcount) over same_group as group_headcount,
        sum(suspensions) over same_group as group_suspensions,
        sum(permanent_exclusions) over same_group as group_permanent_exclusions

    from characteristic_years
    window same_group as (partition by academic_year, characteristic_group)
),

rates as (
    select
        academic_year,
        characteristic_group,
        characteristic,
        n_schools,
        headcount,
        suspensions,
        permanent_exclusions,

        -- events in the year per 100 pupils
        suspensions * 100.0 / nullif(headcount, 0) as suspension_rate,
        permanent_exclusions * 100.0 / nullif(headcount, 0) as permanent_exclusion_rate,

        -- the same for all other pupils of the group; not defined for `total`, which has no others
        case when characteristic_group <> 'total'
            then (group_suspensions - suspensions) * 100.0 / nullif(group_headcount - headcount, 0)
        end as others_suspension_rate,
        case when characteristic_group <> 'total'
            then (group_permanent_exclusions - permanent_exclusions) * 100.0 / nullif(group_headcount - headcount, 0)
        end as others_permanent_exclusion_rate,

        -- standard error of the log risk ratio: events are Poisson counts over a fixed headcount, so
        -- SE(ln RR) = sqrt(1/a + 1/b), a = the group's events, b = the others' events; none when either is 0
        case when characteristic_group <> 'total' and suspensions > 0 and group_suspensions > suspensions
            then sqrt(1.0 / suspensions + 1.0 / (group_suspensions - suspensions))
        end as suspension_log_rr_se,
        case
            when characteristic_group <> 'total'
                and permanent_exclusions > 0 and group_permanent_exclusions > permanent_exclusions
                then sqrt(1.0 / permanent_exclusions + 1.0 / (group_permanent_exclusions - permanent_exclusions))
        end as permanent_exclusion_log_rr_se

    from with_group_totals
),

risk_ratios as (
    select
        *,
        suspension_rate / nullif(others_suspension_rate, 0) as suspension_risk_ratio,
        permanent_exclusion_rate / nullif(others_permanent_exclusion_rate, 0) as permanent_exclusion_risk_ratio
    from rates
),

final as (
    select
        rates.academic_year,
        rates.characteristic_group,
        rates.characteristic,

        -- counts
        rates.n_schools,
        terms_by_characteristic.terms_present,
        rates.headcount,
        rates.suspensions,
        rates.permanent_exclusions,

        -- rates per 100 pupils
        rates.suspension_rate,
        rates.permanent_exclusion_rate,
        rates.others_suspension_rate,
        rates.others_permanent_exclusion_rate,

        -- ratios, with 95 % confidence intervals exp(ln RR ± 1.96 × SE), rounded to 4 decimal places
        rates.suspension_risk_ratio,
        round(rates.suspension_risk_ratio * exp(-1.96 * rates.suspension_log_rr_se), 4)
            as suspension_risk_ratio_ci_low,
        round(rates.suspension_risk_ratio * exp(1.96 * rates.suspension_log_rr_se), 4)
            as suspension_risk_ratio_ci_high,
        rates.permanent_exclusion_risk_ratio,
        round(rates.permanent_exclusion_risk_ratio * exp(-1.96 * rates.permanent_exclusion_log_rr_se), 4)
            as permanent_exclusion_risk_ratio_ci_low,
        round(rates.permanent_exclusion_risk_ratio * exp(1.96 * rates.permanent_exclusion_log_rr_se), 4)
            as permanent_exclusion_risk_ratio_ci_high

    from risk_ratios as rates
    inner join terms_by_characteristic
        on rates.academic_year = terms_by_characteristic.academic_year
        and rates.characteristic_group = terms_by_characteristic.characteristic_group
        and rates.characteristic = terms_by_characteristic.characteristic
)

select * from final
