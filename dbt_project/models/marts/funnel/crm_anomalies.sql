-- What the CRM data says that cannot be, counted: per anomaly, the people dim_people flags with
-- it and the CRM records (counted or not) that carry it. The rows themselves stay in the marts as
-- the data says, flagged (dim_people.anomalies, opportunities.anomalies); nothing is dropped.
{%- set anomalies = [
    ('won_before_first_contact', 'A deal won before the lead\'s first contact (record created)'),
    ('opportunity_before_first_contact', 'A deal created before the lead\'s first contact'),
    ('stage_before_created', 'A stage entered (MQL, SAL, SQL, disqualified) before the record was created'),
] %}

with

kinds as (

    select * from (values
    {%- for key, description in anomalies %}
        ({{ sql_string(key) }}, {{ sql_string(description) }}, {{ loop.index }})
        {{- "," if not loop.last }}
    {%- endfor %}
    ) as kinds (anomaly, description, sort_order)

),

people as (

    select flag as anomaly, count(*) as people
    from {{ ref('dim_people') }}
    cross join lateral unnest(string_to_array(anomalies, ',')) as flag
    group by flag

),

records as (

    select flag as anomaly, count(*) as records
    from {{ ref('int_people__records') }}
    cross join lateral unnest(string_to_array(anomalies, ',')) as flag
    group by flag

)

select
    {{ sql_string(var('crm', 'hubspot')) }}::text as crm,
    kinds.anomaly,
    kinds.description,
    coalesce(people.people, 0)::bigint as people,
    coalesce(records.records, 0)::bigint as records,
    kinds.sort_order,
    {{ lead_definition_version() }} as lead_definition_version
from kinds
left join people on kinds.anomaly = people.anomaly
left join records on kinds.anomaly = records.anomaly
