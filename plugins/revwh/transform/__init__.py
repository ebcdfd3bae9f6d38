"""dbt: running it in-process, the DAG's per-model task group (Cosmos) and its triggerer-side
watcher, and the semantic layer's command (MetricFlow)."""
