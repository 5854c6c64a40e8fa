#!/bin/sh
# First start of the compose database only (docker-entrypoint-initdb.d): create the roles the web
# app and the worker log in as, with their passwords. The migrations (run by `deploy/innbox
# prepare` as the owner) find them and grant what each may do; they never make them owners or
# let them bypass row-level security (docs/migrations.md).
set -eu
psql --no-psqlrc --set=ON_ERROR_STOP=1 \
    --username="${POSTGRES_USER}" --dbname="${POSTGRES_DB}" \
    --set=app_role="${DB_APP_ROLE:-innbox_app}" \
    --set=worker_role="${DB_WORKER_ROLE:-innbox_worker}" \
    --set=app_password="${INNBOX_APP_DB_PASSWORD}" \
    --set=worker_password="${INNBOX_WORKER_DB_PASSWORD}" <<'SQL'
CREATE ROLE :"app_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'app_password';
CREATE ROLE :"worker_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'worker_password';
SQL
