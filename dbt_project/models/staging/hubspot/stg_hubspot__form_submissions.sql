{#- The value of one named field of the submission (`values` is a list of {name, value}). -#}
{%- macro form_value(name) -%}
    nullif(jsonb_path_query_first(record, '$.values[*] ? (@.name == "{{ name }}")') ->> 'value', '')
{%- endmacro -%}

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
        {{ form_value('email') }} as email,
        {{ form_value('ga_client_id') }} as ga_client_id,
        {{ form_value('how_did_you_hear_about_us') }} as self_reported_source,
        {{ form_value('utm_source') }} as utm_source,
        {{ form_value('utm_medium') }} as utm_medium,
        {{ form_value('utm_campaign') }} as utm_campaign,
        {{ form_value('utm_term') }} as utm_term,
        {{ form_value('utm_content') }} as utm_content,
        _partition_date as partition_date,
        _line as source_line,
        _batch_id as batch_id

    from source

)

select * from renamed
