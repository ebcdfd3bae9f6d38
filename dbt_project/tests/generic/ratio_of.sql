{#- The column is the row's numerator over its denominator (to `precision` decimals), so a BI
    tool that sums both over a range gets the range's ratio from the same columns: null when
    the denominator is 0 (or null); otherwise numerator / denominator, a null ratio standing for
    a null or zero numerator (e.g. ROAS of a week without a win). Fails on every other row. -#}
{% test ratio_of(model, column_name, numerator, denominator, precision=9) %}
select *
from {{ model }}
where case
    when coalesce({{ denominator }}, 0) = 0 then {{ column_name }} is not null
    else round(coalesce({{ column_name }}, 0)::numeric, {{ precision }})
        <> round(coalesce({{ numerator }}, 0)::numeric / ({{ denominator }}), {{ precision }})
end
{% endtest %}
