{#-
    The post-hook of every model (dbt_project.yml): ANALYZE a table as soon as it is built, so
    the models and tests that read it next are planned on its statistics. Without them the
    planner assumes a handful of rows and picks nested loops: dim_people ran 17 s instead of
    0.3 s on a just-built int_people__records of 10,165 rows (docs/benchmarks.md), and that
    grows with the square of the people. Views have no statistics of their own.
-#}
{% macro analyze_after_build() -%}
    {%- if config.get('materialized') in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
