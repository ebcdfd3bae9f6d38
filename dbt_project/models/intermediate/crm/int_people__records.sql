-- Every CRM lead record with the lead definition contract applied: its identity key, whether
-- the contract excludes it (and why), and the moment it entered each stage of the waterfall.
-- The identity key is the normalized email; a record without one is keyed by the contract's
-- fallback (identity.fallback: crm_record_id, as '<crm>:<record id>'), and identity_source says
-- which. Without a fallback such a record is excluded ('no email').
{%- set definition = lead_definition() %}
{%- set fallback = definition['identity'].get('fallback') %}
{%- set exclusions = definition['exclusions'] %}
{%- set threshold = definition['mql']['score_threshold'] %}

with

records as (

    select * from {{ ref('int_crm__lead_records') }}

),

ruled as (

    select
        *,
        {%- if fallback == 'crm_record_id' %}
        coalesce(email_key, crm || ':' || record_id) as identity_key,
        case when email_key is not null then 'email' else 'crm_record_id' end as identity_source,
        {%- else %}
        email_key as identity_key,
        case when email_key is not null then 'email' end as identity_source,
        {%- endif %}
        case
            {%- if fallback != 'crm_record_id' %}
            when email_key is null then 'no email'
            {%- endif %}
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
    -- what the data says that cannot be (kept, flagged, and counted in crm_anomalies)
    nullif(concat_ws(',',
        case when won_at < created_at then 'won_before_first_contact' end,
        case when opportunity_at < created_at then 'opportunity_before_first_contact' end,
        case when least(crm_mql_at, crm_sal_at, crm_sql_at, disqualified_at) < created_at
            then 'stage_before_created' end), '') as anomalies,
    created_at as inquiry_at,
    case when meets_mql_rule then coalesce(crm_mql_at, created_at) end as mql_at,
    -- a later stage implies the earlier ones: entered no later than the later stage
    least(case when is_sales_created then created_at end, crm_sal_at, crm_sql_at,
          opportunity_at, won_at) as sal_at,
    least(crm_sql_at, opportunity_at, won_at) as sql_at,
    least(opportunity_at, won_at) as opportunity_stage_at,
    won_at as customer_at
from ruled
