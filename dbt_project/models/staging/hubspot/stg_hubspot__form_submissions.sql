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
        {{ hubspot_form_field('email') }} as email,
        {{ hubspot_form_field('ga_client_id') }} as ga_client_id,
        {{ hubspot_form_field('how_did_you_hear_about_us') }} as self_reported_source,
        {{ hubspot_form_field('utm_source') }} as utm_source,
        {{ hubspot_form_field('utm_medium') }} as utm_medium,
        {{ hubspot_form_field('utm_campaign') }} as utm_campaign,
        {{ hubspot_form_field('utm_term') }} as utm_term,
        {{ hubspot_form_field('utm_content') }} as utm_content,
        {{ lineage_columns() }}

    from source

)

select * from renamed
