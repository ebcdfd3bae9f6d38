-- Every CRM lead record with the lead definition contract applied: its identity key, whether
-- the contract excludes it (and why), and the moment it entered each stage of the waterfall.
{%- set definition = lead_definition() %}
{%- set exclusions = definition['exclusions'] %}
{%- set threshold = definition['mql']['score_threshold'] %}

with

records as (

    select * from {{ ref('int_crm__lead_records') }}

),

ruled as (

    select
        *,
        case
            when email_key is null then 'no email'
            {%- for pattern in exclusions.get('test_email_patterns', []) %}
            when email_key ~ {{ sql_string(pattern) }} then 'test'
            {%- endfor %}
            when email_domain in ({% for d in exclusions.get('internal_domains', []) %}{{ sql_string(d) }}{{ ", " if not loop.last }}{% endfor %}) then 'internal'
            when email_domain in ({% for d in exclusions.get('spam_domains', []) %}{{ sql_string(d) }}{{ ", " if not loop.last }}{% endfor %})
                or split_part(full_name_lower, ' ', 1) in ({% for n in exclusions.get('spam_names', []) %}{{ sql_string(n) }}{{ ", " if not loop.last }}{% endfor %})
                then 'spam'
            when email_domain in ({% for d in exclusions.get('competitor_domains', []) %}{{ sql_string(d) }}{{ ", " if not loop.last }}{% endfor %}) then 'competitor'
        end as exclusion_reason,
        -- the contract's MQL rule; sales-created leads are accepted directly, never MQLs
        not is_sales_created
            and (coalesce(lead_score, 0) >= {{ threshold }} or is_high_intent) as meets_mql_rule
    from records

)

select
    *,
    created_at as inquiry_at,
    case when meets_mql_rule then coalesce(crm_mql_at, created_at) end as mql_at,
    -- a later stage implies the earlier ones: entered no later than the later stage
    least(case when is_sales_created then created_at end, crm_sal_at, crm_sql_at,
          opportunity_at, won_at) as sal_at,
    least(crm_sql_at, opportunity_at, won_at) as sql_at,
    least(opportunity_at, won_at) as opportunity_stage_at,
    won_at as customer_at
from ruled
