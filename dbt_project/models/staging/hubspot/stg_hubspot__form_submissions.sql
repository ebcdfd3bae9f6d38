{#- A named field of the submission: `values` is a list of {name, value}. -#}
{%- set field = '$.values[*] ? (@.name == "%s")' -%}

with

source as (

    select * from {{ source('hubspot', 'form_submissions') }}

),

renamed as (

    select
        record ->> 'conversionId' as conversion_id,
        record ->> 'form_guid' as form_id,
        to_timestamp((record ->> 'submittedAt')::bigint / 1000.0) as submitted_at,
        record ->> 'pageUrl' as page_url,
        record ->> 'pageName' as page_name,
        record -> 'values' as form_values,
        nullif(
            jsonb_path_query_first(record, '{{ field | format("email") }}') ->> 'value', ''
        ) as email,
        nullif(
            jsonb_path_query_first(record, '{{ field | format("ga_client_id") }}') ->> 'value', ''
        ) as ga_client_id,
        nullif(
            jsonb_path_query_first(record, '{{ field | format("how_did_you_hear_about_us") }}')
            ->> 'value', ''
        ) as self_reported_source,
        nullif(
            jsonb_path_query_first(record, '{{ field | format("utm_source") }}') ->> 'value', ''
        ) as utm_source,
        nullif(
            jsonb_path_query_first(record, '{{ field | format("utm_medium") }}') ->> 'value', ''
        ) as utm_medium,
        nullif(
            jsonb_path_query_first(record, '{{ field | format("utm_campaign") }}') ->> 'value', ''
        ) as utm_campaign,
        nullif(
            jsonb_path_query_first(record, '{{ field | format("utm_term") }}') ->> 'value', ''
        ) as utm_term,
        nullif(
            jsonb_path_query_first(record, '{{ field | format("utm_content") }}') ->> 'value', ''
        ) as utm_content,
        _partition_date as partition_date,
        _line as source_line,
        _batch_id as batch_id

    from source

)

select * from renamed
