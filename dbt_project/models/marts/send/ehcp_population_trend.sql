with

population as (
    select * from {{ ref('ehcp_population') }}
),

age_bands as (
    select * from {{ ref('sen2_age_bands') }}
),

needs as (
    select * from {{ ref('sen_need_codes') }}
    where valid_on_ehcp
),

provision_groups as (
    select * from {{ ref('provision_groups') }}
),

censuses as (
    select distinct snapshot_month, census_date, is_january, is_latest from population
),

-- Every category of each breakdown, in the template's order, so a category with no child reads 0.
categories as (
    select 'age_band' as breakdown, age_band as category, age_band_name as category_name,
        row_number() over (order by min_age) as category_order
    from age_bands
    union all
    select 'primary_need', primary_need, need_name, row_number() over (order by primary_need)
    from needs
    union all
    select 'placement_type', provision_group, provision_group_name, group_order
    from provision_groups
),

counts as (
    select snapshot_month, 'age_band' as breakdown, age_band as category, sum(ehcps) as ehcps
    from population group by snapshot_month, age_band
    union all
    select snapshot_month, 'primary_need', primary_need, sum(ehcps)
    from population group by snapshot_month, primary_need
    union all
    select snapshot_month, 'placement_type', provision_group, sum(ehcps)
    from population group by snapshot_month, provision_group
),

grid as (
    select
        censuses.*,
        categories.*,
        coalesce(counts.ehcps, 0) as ehcps
    from censuses
    cross join categories
    left join counts
        on censuses.snapshot_month = counts.snapshot_month
        and categories.breakdown = counts.breakdown
        and categories.category = counts.category
),

final as (
    select
        -- keys
        snapshot_month,
        breakdown,
        category,

        -- labels
        category_name,
        category_order,

        -- census
        census_date,
        is_january,
        is_latest,

        -- counts
        cast(ehcps as integer) as ehcps,
        cast(sum(ehcps) over (partition by snapshot_month, breakdown) as integer) as all_ehcps,
        ehcps / sum(ehcps) over (partition by snapshot_month, breakdown) * 100 as share_pct

    from grid
)

select * from final
order by snapshot_month, breakdown, category_order
