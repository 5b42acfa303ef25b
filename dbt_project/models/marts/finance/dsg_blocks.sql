with

funding as (
    select * from {{ ref('stg_landing__dsg_funding') }}
),

blocks as (
    select * from {{ ref('dsg_block_codes') }}
),

supplied as (
    select * from {{ ref('int_dsg_block_outturn__latest') }}
),

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

financial_years as (
    select * from {{ ref('int_financial_years__period_covered') }}
),

budget_vs_outturn as (
    select * from {{ ref('budget_vs_outturn') }}
),

hn_outturn_by_year as (
    select
        financial_year,
        sum(amount_gbp) as outturn_gbp
    from ledger_lines
    group by financial_year
),

-- The year in progress is forecast as at the latest ledger month.
hn_latest_forecast as (
    select
        financial_year,
        any_value(as_at_month) as as_at_month,
        sum(forecast_with_growth_gbp) as forecast_with_growth_gbp,
        sum(forecast_expected_gbp) as forecast_expected_gbp
    from budget_vs_outturn
    where as_at_month = (select max(as_at_month) from budget_vs_outturn)
    group by financial_year
),

-- High Needs spend is the platform's own: ledger outturn for a closed year, forecast with growth for the
-- year in progress (the expected view beside it).
hn_spend as (
    select
        financial_years.financial_year,
        'high_needs' as dsg_block,
        case when financial_years.is_closed then 'outturn' else 'forecast' end as spend_status,
        case when not financial_years.is_closed then hn_latest_forecast.as_at_month end as as_at_month,
        case
            when financial_years.is_closed then hn_outturn_by_year.outturn_gbp
            else hn_latest_forecast.forecast_with_growth_gbp
        end as spend_gbp,
        case
            when financial_years.is_closed then hn_outturn_by_year.outturn_gbp
            else hn_latest_forecast.forecast_expected_gbp
        end as spend_expected_gbp
    from financial_years
    left join hn_outturn_by_year
        on financial_years.financial_year = hn_outturn_by_year.financial_year
    left join hn_latest_forecast
        on financial_years.financial_year = hn_latest_forecast.financial_year
),

years as (
    select financial_year from funding
    union
    select financial_year from supplied
    union
    select financial_year from hn_spend where spend_gbp is not null
),

grid as (
    select
        years.financial_year,
        blocks.dsg_block,
        blocks.block_name,
        blocks.block_order
    from years
    cross join blocks
),

joined as (
    select
        grid.*,
        funding.allocation_gbp,
        funding.deductions_gbp,
        funding.transfer_in_gbp,
        funding.allocation_gbp - funding.deductions_gbp + funding.transfer_in_gbp as income_gbp,
        supplied.spend_gbp as supplied_spend_gbp,
        supplied.spend_status as supplied_spend_status,
        supplied.as_at_month as supplied_as_at_month,
        hn_spend.spend_gbp as hn_spend_gbp,
        hn_spend.spend_expected_gbp as hn_spend_expected_gbp,
        hn_spend.spend_status as hn_spend_status,
        hn_spend.as_at_month as hn_as_at_month
    from grid
    left join funding
        on grid.financial_year = funding.financial_year
        and grid.dsg_block = funding.dsg_block
    left join supplied
        on grid.financial_year = supplied.financial_year
        and grid.dsg_block = supplied.dsg_block
    left join hn_spend
        on grid.financial_year = hn_spend.financial_year
        and grid.dsg_block = hn_spend.dsg_block
        and hn_spend.spend_gbp is not null
),

-- The file's High Needs figure is only reported beside the platform's own; the other blocks take the file's.
spend_chosen as (
    select
        *,
        case when dsg_block = 'high_needs' then hn_spend_gbp else supplied_spend_gbp end as spend_gbp,
        case when dsg_block = 'high_needs' then hn_spend_expected_gbp else supplied_spend_gbp end
            as spend_expected_gbp,
        case when dsg_block = 'high_needs' then hn_as_at_month else supplied_as_at_month end as spend_as_at_month,
        coalesce(
            case when dsg_block = 'high_needs' then hn_spend_status else supplied_spend_status end,
            'missing'
        ) as spend_status,
        case
            when dsg_block = 'high_needs' and hn_spend_gbp is not null then 'hn_ledger'
            when dsg_block <> 'high_needs' and supplied_spend_gbp is not null then 'dsg_block_outturn'
        end as spend_source
    from joined
),

with_in_year as (
    select
        *,
        income_gbp - spend_gbp as in_year_gbp,
        -- the block's first year with an in-year figure starts its running total
        min(financial_year) filter (where income_gbp is not null and spend_gbp is not null)
            over (partition by dsg_block) as first_year_with_in_year
    from spend_chosen
),

cumulated as (
    select
        *,
        sum(in_year_gbp) over block_to_date as cumulative_in_year_sum_gbp,
        count(in_year_gbp) over block_to_date as years_with_in_year,
        count(*) filter (where financial_year >= first_year_with_in_year) over block_to_date as years_since_first
    from with_in_year
    window block_to_date as (
        partition by dsg_block order by financial_year rows between unbounded preceding and current row
    )
),

final as (
    select
        -- keys
        financial_year,
        dsg_block,
        block_name,
        block_order,

        -- income (transfers shown on both blocks: − on the giving block, + on the receiving one)
        cast(allocation_gbp as decimal(18, 2)) as allocation_gbp,
        cast(deductions_gbp as decimal(18, 2)) as deductions_gbp,
        cast(transfer_in_gbp as decimal(18, 2)) as transfer_in_gbp,
        cast(income_gbp as decimal(18, 2)) as income_gbp,

        -- spend
        cast(spend_gbp as decimal(18, 2)) as spend_gbp,
        spend_status,
        spend_source,
        spend_as_at_month,
        cast(spend_expected_gbp as decimal(18, 2)) as spend_expected_gbp,
        cast(supplied_spend_gbp as decimal(18, 2)) as supplied_spend_gbp,
        supplied_spend_status,

        -- balance (− = overspend)
        cast(in_year_gbp as decimal(18, 2)) as in_year_gbp,
        cast(
            case
                when in_year_gbp is not null and years_with_in_year = years_since_first
                    then cumulative_in_year_sum_gbp
            end
            as decimal(18, 2)
        ) as cumulative_in_year_gbp,
        first_year_with_in_year as cumulative_from_year

    from cumulated
)

select * from final
order by financial_year, block_order
