{#-
    The post-hook of every model (dbt_project.yml): ANALYZE a table as soon as it is built, so
    the models and tests that read it next are planned on its statistics. Without them the
    planner assumes a handful of rows and picks nested loops: dim_people ran 17 s instead of
    0.3 s on a just-built int_people__records of 10,165 rows (docs/benchmarks.md), and that
    grows with the square of the people. Views have no statistics of their own.
-#}
{% macro analyze_after_build() -%}
    {%- set materialized = config.get('materialized') -%}
    {%- if materialized == 'table' -%}
        analyze {{ this }}
    {%- elif materialized == 'incremental' -%}
        {#- only a table without statistics: one just created (first build, full refresh). A
            nightly run adds a few days to the history, and sampling the whole table each night
            cost more as it grew; autovacuum analyzes it once a tenth of it has changed, as it
            does the raw tables (revwh.ingest.load.refresh_statistics). (Not pg_class.reltuples < 0:
            creating the table's indexes sets it.) #}
        do $$ begin
            if not exists (select from pg_stats where schemaname = '{{ this.schema }}'
                           and tablename = '{{ this.identifier }}') then
                analyze {{ this }};
            end if;
        end $$
    {%- endif -%}
{%- endmacro %}
