with

published as (
    select * from {{ ref('stg_dfe__benchmarks') }}
),

areas as (
    select * from {{ ref('stg_dfe__statistical_neighbours') }}
),

la_and_neighbour_figures as (
    select
        published.*,
        areas.neighbour_role
    from published
    inner join areas
        on published.old_la_code = areas.old_la_code
    where published.geography_level = 'la'
),

-- Rank among the LA and its neighbours that have a figure; 1 = the highest value.
ranked as (
    select
        *,
        rank() over (partition by measure, period, s251_line order by value desc) as rank_among_neighbours
    from la_and_neighbour_figures
    where value is not null
),

la_rows as (
    select
        figures.measure,
        figures.period,
        figures.s251_line,
        'la' as comparator,
        figures.area_name,
        figures.value,
        figures.value_note,
        1 as n_areas,
        ranked.rank_among_neighbours as la_rank_among_neighbours
    from la_and_neighbour_figures as figures
    left join ranked
        on figures.measure = ranked.measure
        and figures.period = ranked.period
        and figures.s251_line is not distinct from ranked.s251_line
        and figures.old_la_code = ranked.old_la_code
    where figures.neighbour_role = 'la'
),

the_la_region as (
    select distinct region_name from la_and_neighbour_figures where neighbour_role = 'la'
),

region_rows as (
    select
        measure,
        period,
        s251_line,
        'region' as comparator,
        area_name,
        value,
        value_note,
        1 as n_areas,
        null::bigint as la_rank_among_neighbours
    from published
    where geography_level = 'region'
        and area_name in (select region_name from the_la_region)
),

england_rows as (
    select
        measure,
        period,
        s251_line,
        'england' as comparator,
        area_name,
        value,
        value_note,
        1 as n_areas,
        null::bigint as la_rank_among_neighbours
    from published
    where geography_level = 'england'
),

-- Suppressed or missing neighbour figures are left out of the mean, never counted as zero.
neighbour_rows as (
    select
        measure,
        period,
        s251_line,
        'statistical_neighbours' as comparator,
        'Statistical neighbours (mean)' as area_name,
        avg(value) as value,
        null as value_note,
        count(value) as n_areas,
        null::bigint as la_rank_among_neighbours
    from la_and_neighbour_figures
    where neighbour_role = 'neighbour'
    group by measure, period, s251_line
),

final as (
    select * from la_rows
    union all by name
    select * from region_rows
    union all by name
    select * from england_rows
    union all by name
    select * from neighbour_rows
)

select * from final
order by measure, period, s251_line, comparator
