#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases with Temporal's own schema tool. Run by the
# compose file (admin-tools image) and by the cluster tier (scripts/cluster.sh), so both set up the same.
# Needs temporal-sql-tool on PATH and: SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD, SCHEMA_DIR (the
# server's schema/ folder of the same version).
set -eu
for db in temporal temporal_visibility; do
  schema=$( [ "$db" = temporal ] && echo temporal || echo visibility )
  tool="temporal-sql-tool --plugin postgres12 --db $db"   # the tool reads SQL_* itself: no password in ps
  $tool create 2>/dev/null || true   # already there
  $tool setup-schema -v 0.0 2>/dev/null || true
  $tool update-schema -d "$SCHEMA_DIR/postgresql/v12/$schema/versioned"
done
