with recursive

balances as (
    select * from {{ ref('stg_landing__dsg_balance') }}
),

plan_versions as (
    select * from {{ ref('stg_landing__deficit_plan') }}
),

-- The plan in force is the newest delivery (earlier versions are kept for slippage).
deficit_plan as (
    select * from plan_versions
    qualify plan_loaded_at = max(plan_loaded_at) over ()
),

-- A year's first plan is the earliest delivery that planned that year: slippage is measured against it.
first_plan as (
    select * from plan_versions
    qualify plan_loaded_at = min(plan_loaded_at) over (partition by financial_year)
),

dsg_blocks as (
    select * from {{ ref('dsg_blocks') }}
),

high_needs as (
    select * from dsg_blocks where dsg_block = 'high_needs'
),

-- The whole DSG's spend is known only when every block has both its income and its spend.
all_blocks as (
    select
        financial_year,
        sum(income_gbp) as total_dsg_income_gbp,
        case
            when count(in_year_gbp) = count(*) then sum(spend_gbp)
        end as spend_all_blocks_gbp,
        case
            when count(in_year_gbp) = count(*) then sum(in_year_gbp)
        end as in_year_all_blocks_gbp,
        nullif(
            string_agg(dsg_block, ', ' order by block_order) filter (where spend_gbp is null),
            ''
        ) as blocks_without_spend
    from dsg_blocks
    group by financial_year
),

last_ledger_year as (
    select max(financial_year) as financial_year from high_needs where spend_source = 'hn_ledger'
),

-- Years reported: those with funding and either High Needs spend or a plan.
years as (
    select
        all_blocks.financial_year,
        cast(left(all_blocks.financial_year, 4) as integer) as start_year,
        all_blocks.total_dsg_income_gbp,
        high_needs.income_gbp as hn_income_gbp,
        high_needs.spend_gbp as hn_spend_gbp,
        -- years after the ledger's last year have no spend yet, so they are forecasts too
        case high_needs.spend_status
            when 'outturn' then false
            when 'forecast' then true
            else all_blocks.financial_year > coalesce((select financial_year from last_ledger_year), '')
        end as is_forecast,
        high_needs.in_year_gbp as hn_in_year_gbp,
        high_needs.spend_expected_gbp as hn_spend_expected_gbp,
        cast(high_needs.income_gbp - high_needs.spend_expected_gbp as decimal(18, 2)) as hn_in_year_expected_gbp,
        all_blocks.spend_all_blocks_gbp,
        all_blocks.in_year_all_blocks_gbp,
        all_blocks.blocks_without_spend,
        balances.supplied_opening_balance_gbp
    from all_blocks
    inner join high_needs
        on all_blocks.financial_year = high_needs.financial_year
    left join balances
        on all_blocks.financial_year = balances.financial_year
    where all_blocks.total_dsg_income_gbp is not null
        and (
            high_needs.spend_gbp is not null
            or all_blocks.financial_year in (select financial_year from deficit_plan)
        )
),

-- Opening = the previous year's closing; the first year (or one after a gap) opens with the supplied balance.
-- The whole-DSG chain runs beside the High Needs one from the same supplied openings.
balance_chain as (
    select
        financial_year,
        start_year,
        'supplied' as opening_balance_source,
        cast(supplied_opening_balance_gbp as decimal(18, 2)) as opening_balance_gbp,
        cast(supplied_opening_balance_gbp + hn_in_year_gbp as decimal(18, 2)) as closing_balance_gbp,
        cast(supplied_opening_balance_gbp as decimal(18, 2)) as opening_balance_all_blocks_gbp,
        cast(supplied_opening_balance_gbp + in_year_all_blocks_gbp as decimal(18, 2)) as closing_balance_all_blocks_gbp
    from years
    where start_year - 1 not in (select start_year from years)

    union all

    select
        next_year.financial_year,
        next_year.start_year,
        case when balance_chain.closing_balance_gbp is null then 'supplied' else 'previous_closing' end,
        cast(coalesce(balance_chain.closing_balance_gbp, next_year.supplied_opening_balance_gbp) as decimal(18, 2)),
        cast(
            coalesce(balance_chain.closing_balance_gbp, next_year.supplied_opening_balance_gbp)
            + next_year.hn_in_year_gbp
            as decimal(18, 2)
        ),
        cast(
            coalesce(balance_chain.closing_balance_all_blocks_gbp, next_year.supplied_opening_balance_gbp)
            as decimal(18, 2)
        ),
        cast(
            coalesce(balance_chain.closing_balance_all_blocks_gbp, next_year.supplied_opening_balance_gbp)
            + next_year.in_year_all_blocks_gbp
            as decimal(18, 2)
        )
    from balance_chain
    inner join years as next_year
        on next_year.start_year = balance_chain.start_year + 1
),

joined as (
    select
        years.*,
        balance_chain.opening_balance_source,
        balance_chain.opening_balance_gbp,
        balance_chain.closing_balance_gbp,
        balance_chain.opening_balance_all_blocks_gbp,
        balance_chain.closing_balance_all_blocks_gbp,
        deficit_plan.planned_hn_in_year_gbp,
        deficit_plan.planned_closing_balance_gbp,
        deficit_plan.plan_version,
        first_plan.planned_closing_balance_gbp as planned_closing_balance_first_gbp,
        first_plan.plan_version as plan_version_first,
        first_plan.plan_loaded_at as plan_first_loaded_at
    from years
    inner join balance_chain
        on years.financial_year = balance_chain.financial_year
    left join deficit_plan
        on years.financial_year = deficit_plan.financial_year
    left join first_plan
        on years.financial_year = first_plan.financial_year
),

final as (
    select
        -- keys
        financial_year,
        is_forecast,

        -- balances (negative = deficit)
        opening_balance_gbp,
        opening_balance_source,
        supplied_opening_balance_gbp,
        cast(supplied_opening_balance_gbp - opening_balance_gbp as decimal(18, 2)) as opening_balance_mismatch_gbp,
        hn_in_year_gbp,
        closing_balance_gbp,

        -- income and spend
        cast(total_dsg_income_gbp as decimal(18, 2)) as total_dsg_income_gbp,
        cast(hn_income_gbp as decimal(18, 2)) as hn_income_gbp,
        cast(hn_spend_gbp as decimal(18, 2)) as hn_spend_gbp,

        -- plan (+ gap = better than plan)
        planned_hn_in_year_gbp,
        planned_closing_balance_gbp,
        plan_version,
        cast(closing_balance_gbp - planned_closing_balance_gbp as decimal(18, 2)) as gap_to_plan_gbp,

        cast(closing_balance_gbp as double) / cast(total_dsg_income_gbp as double) * 100 as closing_balance_pct_of_dsg,

        -- expected view (v2): the year in progress at its expected forecast; a closed year as above
        cast(hn_spend_expected_gbp as decimal(18, 2)) as hn_spend_expected_gbp,
        hn_in_year_expected_gbp,
        cast(opening_balance_gbp + hn_in_year_expected_gbp as decimal(18, 2)) as closing_balance_expected_gbp,

        -- the year's first plan (+ slippage = better than the first plan)
        planned_closing_balance_first_gbp,
        plan_version_first,
        plan_first_loaded_at,
        cast(closing_balance_gbp - planned_closing_balance_first_gbp as decimal(18, 2)) as slippage_gbp,

        -- whole DSG (v2): every block's income less its spend; NULL, never 0, while a block's spend is missing
        cast(spend_all_blocks_gbp as decimal(18, 2)) as spend_all_blocks_gbp,
        cast(in_year_all_blocks_gbp as decimal(18, 2)) as in_year_all_blocks_gbp,
        opening_balance_all_blocks_gbp,
        closing_balance_all_blocks_gbp,
        blocks_without_spend

    from joined
)

select * from final
order by financial_year
