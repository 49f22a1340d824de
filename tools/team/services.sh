#!/usr/bin/env bash
# The two services a team shares, started from packages on this machine: PostgreSQL (Debian's `postgresql`
# package, any version 13+) for the state and moto's server (`pip install 'moto[server]'`) as the S3-compatible
# model store. For trying the team setup locally; in production point the same settings at your own PostgreSQL
# and S3 / MinIO / Ceph / R2 (README, "Team backends").
#
#   tools/team/services.sh start DIR   start both under DIR (created), create the database and the bucket,
#                                      write DIR/env.sh (source it: NERSPEC_STATE, NERSPEC_ARTIFACTS, AWS_*)
#   tools/team/services.sh stop DIR    stop both
#
# Ports: PGPORT (default 54329) and S3PORT (default 59000) on 127.0.0.1. PYTHON: the interpreter with moto and
# boto3 (default: python3 on PATH). As root, PostgreSQL runs as the `postgres` user (it refuses root).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
command=$1
dir=$2
PGPORT=${PGPORT:-54329}
S3PORT=${S3PORT:-59000}
PYTHON=${PYTHON:-python3}
BUCKET=${BUCKET:-nerspec-models}

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1)
  [ -n "$found" ] || { echo "PostgreSQL not found under /usr/lib/postgresql: apt-get install postgresql" >&2; exit 1; }
  echo "$found"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# PostgreSQL's directory: DIR/pg, or, as root, a directory the postgres user can reach (DIR may sit below a
# directory only root can enter), remembered in DIR/pg.path.
pg_dir() {
  if [ "$(id -u)" != 0 ]; then echo "$dir/pg"; return; fi
  if [ ! -f "$dir/pg.path" ]; then
    local made
    made=$(mktemp -d /tmp/nerspec-team-pg.XXXXXX)
    chmod 755 "$made"
    chown postgres:postgres "$made"
    echo "$made" >"$dir/pg.path"
  fi
  cat "$dir/pg.path"
}

start() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local bin pg
  bin=$(pg_bin)
  pg=$(pg_dir)
  mkdir -p "$pg"
  if [ ! -f "$pg/data/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -D "$pg/data" -U nerspec --auth=trust -E UTF8 --locale=C >/dev/null
  fi
  as_postgres "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 \
    -o "-p $PGPORT -k $pg -c listen_addresses=127.0.0.1" start >/dev/null
  "$bin/psql" -h 127.0.0.1 -p "$PGPORT" -U nerspec -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'nerspec'" | grep -q 1 \
    || "$bin/createdb" -h 127.0.0.1 -p "$PGPORT" -U nerspec nerspec

  nohup "$PYTHON" -m moto.server -H 127.0.0.1 -p "$S3PORT" >"$dir/s3.log" 2>&1 &
  echo $! >"$dir/s3.pid"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$S3PORT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_DEFAULT_REGION=us-east-1
  "$PYTHON" - "$BUCKET" <<'PY'
import sys, time
import boto3, botocore
client = boto3.client("s3")
for attempt in range(100):  # the server takes a moment to listen
    try:
        if sys.argv[1] not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
            client.create_bucket(Bucket=sys.argv[1])
        break
    except botocore.exceptions.EndpointConnectionError:
        time.sleep(0.1)
else:
    sys.exit("the S3 server did not start")
PY
  cat >"$dir/env.sh" <<ENV
export NERSPEC_STATE=postgresql://nerspec@127.0.0.1:$PGPORT/nerspec
export NERSPEC_ARTIFACTS=s3://$BUCKET/nerspec
export AWS_ENDPOINT_URL=http://127.0.0.1:$S3PORT
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=us-east-1
ENV
  echo "PostgreSQL on 127.0.0.1:$PGPORT (database nerspec), S3 on http://127.0.0.1:$S3PORT (bucket $BUCKET)"
  echo "now: . $dir/env.sh"
}

stop() {
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/s3.pid" ]; then
    kill "$(cat "$dir/s3.pid")" 2>/dev/null || true
    rm -f "$dir/s3.pid"
  fi
  local pg
  pg=$(pg_dir)
  if [ -f "$pg/data/postmaster.pid" ]; then
    as_postgres "$(pg_bin)/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null
  fi
  echo "stopped"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
