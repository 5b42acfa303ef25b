with

areas as (
    select * from {{ ref('int_benchmark_areas__chosen') }}
),

figures as (
    select * from {{ ref('stg_dfe__la_profiles') }}
),

indicators as (
    select * from {{ ref('int_las__profile_indicators') }}
),

population as (
    select old_la_code, value as population_2_18
    from figures
    where figure = 'population_2_18'
),

profile as (
    select
        old_la_code,
        max(value) filter (where indicator = 'ehc_plans_per_1000_aged_2_18') as ehc_plans_per_1000_aged_2_18,
        max(value) filter (
            where indicator = 'independent_special_pct_of_ehc_plans'
        ) as independent_special_pct_of_ehc_plans,
        max(value) filter (where indicator = 'hn_budget_per_head_gbp') as hn_budget_per_head_gbp,
        max(value) filter (
            where indicator = 'ehc_new_plans_per_10000_aged_2_18'
        ) as ehc_new_plans_per_10000_aged_2_18
    from indicators
    group by old_la_code
),

final as (
    select
        -- who
        areas.neighbour_role,
        areas.neighbour_rank,
        areas.old_la_code,
        areas.area_code,
        areas.area_name,
        areas.region_name,

        -- how chosen
        areas.selection,
        areas.selection_method,
        areas.profile_distance,
        areas.n_indicators,

        -- the published profile behind the distance
        population.population_2_18,
        profile.ehc_plans_per_1000_aged_2_18,
        profile.independent_special_pct_of_ehc_plans,
        profile.hn_budget_per_head_gbp,
        profile.ehc_new_plans_per_10000_aged_2_18

    from areas
    left join population on areas.old_la_code = population.old_la_code
    left join profile on areas.old_la_code = profile.old_la_code
)

select * from final
order by neighbour_role, neighbour_rank
