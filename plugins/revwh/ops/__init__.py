"""Running it all: the pipeline's task functions, the Airflow environment, services and dag.test
runner, failure alerts, Superset, and the `revwh` command line."""
