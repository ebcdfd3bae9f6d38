{#-
    The channel of a web session, after GA4's default channel groups, in this order:
    a Google click id is paid search; a Display & Video 360 click id (dclid) is display; paid
    media on a social source is paid social; other cpc/ppc/paid media is paid search; email medium is email; organic medium or a search-engine
    referrer is organic search; social medium or a social-network referrer is organic social;
    any other referrer or referral medium is referral; no source, medium or referrer is direct;
    anything else is other. The taxonomy is the `channels` seed.
-#}
{% macro channel_grouping(source, medium, gclid, referrer, dclid='null') -%}
    case
        when {{ gclid }} is not null then 'paid_search'
        when {{ dclid }} is not null then 'display'
        when {{ medium }} ~* '^(paid.?social|paidsocial)$'
            or ({{ medium }} ~* '^(cpc|ppc|cpm|paid.*)$'
                and {{ source }} ~* '(facebook|instagram|meta|linkedin|twitter|x\.com|reddit|tiktok)')
            then 'paid_social'
        when {{ medium }} ~* '^(cpc|ppc|paid.?search|paid)$' then 'paid_search'
        when {{ medium }} ~* '^(display|banner|cpm|interstitial)$' then 'display'
        when {{ medium }} ~* '^e.?mail$' then 'email'
        when {{ medium }} = 'organic'
            or {{ referrer }} ~* '^https?://([a-z0-9-]+\.)*(google|bing|duckduckgo|yahoo|baidu|ecosia|yandex)\.'
            then 'organic_search'
        when {{ medium }} ~* '^(social|social.?network|social.?media|sm)$'
            or {{ referrer }} ~* '^https?://([a-z0-9-]+\.)*(linkedin|facebook|twitter|t|instagram|reddit|youtube)\.'
            then 'organic_social'
        when {{ medium }} = 'referral' or {{ referrer }} is not null then 'referral'
        when coalesce({{ source }}, '(direct)') = '(direct)'
            and coalesce({{ medium }}, '(none)') in ('(none)', '(not set)') then 'direct'
        else 'other'
    end
{%- endmacro %}
