{#- Fails the query that evaluates it, with `message` (a SQL text expression) in the error:
    PostgreSQL has no raise in plain SQL, so the text is cast to a number and the cast's error
    quotes it ("invalid input syntax for type numeric: \"<message>\""). Use it in a branch that
    must never be reached silently (a CASE evaluates only the branch a row takes). -#}
{% macro fail_query(message) -%}
    (('revwh: ' || {{ message }})::numeric)
{%- endmacro %}
