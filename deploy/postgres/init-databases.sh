#!/usr/bin/env bash
# Runs once, when the postgres container starts on an empty data volume (the image runs every
# script in /docker-entrypoint-initdb.d): creates each database named in EXTRA_DATABASES
# (comma-separated) besides POSTGRES_DB, owned by POSTGRES_USER. The compose file sets
# POSTGRES_DB=warehouse and EXTRA_DATABASES=airflow.
set -euo pipefail
IFS=',' read -ra databases <<< "${EXTRA_DATABASES:-}"
for database in "${databases[@]}"; do
    database="${database// /}"
    [[ -z "$database" ]] && continue
    echo "creating database $database"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        --set=db="$database" --set=owner="$POSTGRES_USER" \
        <<< 'create database :"db" owner :"owner";'
done
