with

configured as (
    select * from {{ ref('stg_installation__benchmark_areas') }}
),

distances as (
    select * from {{ ref('int_las__profile_distance') }}
),

las as (
    select distinct old_la_code, area_code, area_name, region_name
    from {{ ref('stg_dfe__la_profiles') }}
),

the_la as (
    select * from configured where neighbour_role = 'la'
),

listed as (
    select * from configured where neighbour_role = 'neighbour'
),

-- Listed neighbours win; without a list, the ten LAs nearest by profile distance.
neighbours as (
    select
        old_la_code,
        list_position as neighbour_rank,
        'listed' as selection
    from listed

    union all

    select
        old_la_code,
        distance_rank as neighbour_rank,
        'computed' as selection
    from distances
    where distance_rank <= 10
        and not exists (select 1 from listed)
),

areas as (
    select
        old_la_code,
        'la' as neighbour_role,
        null::integer as neighbour_rank,
        case when exists (select 1 from listed) then 'listed' else 'computed' end as selection
    from the_la

    union all

    select
        old_la_code,
        'neighbour' as neighbour_role,
        neighbour_rank,
        selection
    from neighbours
),

method as (
    select
        case
            when exists (select 1 from listed)
                then 'Listed in this installation''s configuration (highneeds.yaml)'
                || coalesce(': ' || the_la.neighbours_note, '.')
            else 'The 10 LAs nearest to ' || las.area_name || ' on published indicators, each standardised '
                || 'across English LAs (z-scores) and weighted equally: 2-18 population (log), EHC plans per '
                || '1,000 aged 2-18, % of EHC plans in independent or non-maintained special schools, '
                || 'High Needs budget per head, and new EHC plans in the latest year per 10,000 aged 2-18. '
                || 'Distance: root mean square of the differences over the indicators the LA has. '
                || 'Source: DfE high needs benchmarking table and SEN2 (Open Government Licence v3.0).'
        end as selection_method
    from the_la
    inner join las on the_la.old_la_code = las.old_la_code
),

final as (
    select
        -- ids
        areas.old_la_code,
        las.area_code,
        las.area_name,
        las.region_name,

        -- role in the comparison
        areas.neighbour_role,
        areas.neighbour_rank,
        areas.selection,
        method.selection_method,
        distances.profile_distance,
        distances.n_indicators

    from areas
    inner join las on areas.old_la_code = las.old_la_code
    cross join method
    left join distances on areas.old_la_code = distances.old_la_code
)

select * from final
