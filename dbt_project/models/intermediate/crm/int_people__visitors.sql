-- Identity stitching: which web visitors (GA4 user_pseudo_id) each person is. A form carries the
-- visitor's id in a hidden field (ga_client_id) into the CRM record and the form submission;
-- the person is the record's identity key (normalized email, or the CRM record id for a record
-- without one). Form submissions are matched by email, so a person without an email is stitched
-- only through their own record's ga_client_id.
with

records as (

    select identity_key, email_key, ga_client_id
    from {{ ref('int_people__records') }}
    where exclusion_reason is null

),

forms as (

    select {{ email_key('email') }} as email_key, ga_client_id
    from {{ ref('stg_hubspot__form_submissions') }}
    where ga_client_id is not null and email is not null

),

stitched as (

    select identity_key, ga_client_id from records where ga_client_id is not null
    union
    select counted.identity_key, forms.ga_client_id
    from forms
    -- only people the contract counts
    inner join (select distinct identity_key, email_key from records
                where email_key is not null) as counted
        on forms.email_key = counted.email_key

)

select
    {{ person_key('identity_key') }} as person_id,
    identity_key,
    ga_client_id as user_pseudo_id
from stitched
