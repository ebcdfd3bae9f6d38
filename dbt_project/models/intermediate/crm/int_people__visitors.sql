-- Identity stitching: which web visitors (GA4 user_pseudo_id) each person is. A form carries the
-- visitor's id in a hidden field (ga_client_id) into the CRM record and the form submission;
-- the person is the record's identity key (normalized email).
with

records as (

    select email_key, ga_client_id
    from {{ ref('int_people__records') }}
    where exclusion_reason is null and ga_client_id is not null

),

forms as (

    select {{ email_key('email') }} as email_key, ga_client_id
    from {{ ref('stg_hubspot__form_submissions') }}
    where ga_client_id is not null and email is not null

),

stitched as (

    select email_key, ga_client_id from records
    union
    select forms.email_key, forms.ga_client_id
    from forms
    -- only people the contract counts
    inner join (select distinct email_key from records) as counted
        on forms.email_key = counted.email_key

)

select
    {{ person_key('email_key') }} as person_id,
    email_key,
    ga_client_id as user_pseudo_id
from stitched
