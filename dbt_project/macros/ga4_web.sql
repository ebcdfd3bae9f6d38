{#-
    The website's rules from the contract's `web` section (var lead_definition): the company's
    own domains, never a referrer, and the GA4 events that count as conversions.
-#}

{#- True when the URL or host in `expr` is one of the contract's own domains or a subdomain of
    one (GA4's "unwanted referrals"); false when the contract lists none. -#}
{% macro is_own_domain(expr) -%}
    {%- set domains = (var('lead_definition').get('web') or {}).get('own_domains') or [] -%}
    {%- if domains -%}
        coalesce({{ expr }} ~* '^([a-z][a-z0-9+.-]*://)?([^/?#@]*@)?([^/?#:]*\.)?(
        {%- for domain in domains -%}
            {{ domain | replace('.', '\\.') }}{{ '|' if not loop.last }}
        {%- endfor -%}
        )(:[0-9]+)?([/?#]|$)', false)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- A query parameter of a URL (utm_source, gclid, ...), '+' read as a space; null when absent
    or empty. -#}
{% macro url_param(url, name) -%}
    nullif(replace((regexp_match({{ url }}, '[?&]{{ name }}=([^&#]*)'))[1], '+', ' '), '')
{%- endmacro %}

{#- The contract's conversion events (all, or those that carry a value), as a SQL list. -#}
{% macro conversion_events(valued_only=false) -%}
    {%- set events = [] -%}
    {%- for conversion in (var('lead_definition').get('web') or {}).get('conversions') or [] -%}
        {%- if not valued_only or conversion.get('value') -%}
            {%- do events.append("'" ~ conversion['event'] | replace("'", "''") ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    ({{ events | join(', ') if events else 'null' }})
{%- endmacro %}

{#- The GA4 property's currency (the contract's web.currency; the reporting currency when
    absent): what ecommerce.purchase_revenue is in, and a value without a currency parameter. -#}
{% macro ga4_property_currency() -%}
    {{ return((var('lead_definition').get('web') or {}).get('currency') or reporting_currency()) }}
{%- endmacro %}

{#- An md5 of what int_ga4__conversions stores by the contract (the conversion events, which
    carry a value, the property's currency): a change makes its next run rebuild every row. -#}
{% macro ga4_conversions_fingerprint() -%}
    {%- set conversions = (var('lead_definition').get('web') or {}).get('conversions') or [] -%}
    {{ return(local_md5(tojson({'conversions': conversions,
                                'currency': ga4_property_currency()}))) }}
{%- endmacro %}
