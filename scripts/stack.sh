#!/usr/bin/env bash
# The embedded local stack: Tansu broker, PostgreSQL and Redis as local processes on private
# ports, with state, logs and pid files under one folder. Usage:
#   stack.sh up [--services]   start what is not running (idempotent), create topics,
#                              and with --services start the five services and wait until ready
#   stack.sh down              stop everything this folder started
#   stack.sh status            show what runs, where, and the broker's memory
#   stack.sh env               print the environment the services and tests use
# STACK selects a profile: "dev" (default) or "test", with its own ports and folder.
set -euo pipefail
source "$(dirname "$0")/env.sh"

STACK="${STACK:-dev}"
case "$STACK" in
  dev)  base=19000 ;;
  test) base=29000 ;;
  *) echo "STACK must be dev or test" >&2; exit 2 ;;
esac
DIR="$INTELLICORE_STATE/$STACK"
KAFKA_PORT="${INTELLICORE_KAFKA_PORT:-$((base + 92))}"
PG_PORT="${INTELLICORE_POSTGRES_PORT:-$((base + 432))}"
REDIS_PORT="${INTELLICORE_REDIS_PORT:-$((base + 379))}"
HTTP_BASE="${INTELLICORE_HTTP_BASE_PORT:-$((base + 80))}"
SERVICES=(ingestion training-orchestrator inference monitoring billing)
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
# PostgreSQL will not run as root, so as root it runs as the `postgres` user, which cannot enter a
# clone in a folder only root may enter (/root, mktemp -d). Its data, socket and log then live
# outside the clone, in a folder named after this state folder (INTELLICORE_PG_HOME overrides it).
if [ "$(id -u)" = 0 ]; then
  PG_HOME="${INTELLICORE_PG_HOME:-/var/lib/intellicore/$(printf '%s' "$DIR" | sha256sum | cut -c1-16)-$STACK}"
else
  PG_HOME="${INTELLICORE_PG_HOME:-$DIR/pg}"
fi
PG_DATA="$PG_HOME/data"
PG_RUN="$PG_HOME/run"
PG_LOG="$PG_HOME/postgres.log"

log() { printf '[stack:%s] %s\n' "$STACK" "$*" >&2; }
die() { printf '[stack:%s] error: %s\n' "$STACK" "$*" >&2; exit 1; }

service_port() { local i; for i in "${!SERVICES[@]}"; do if [ "${SERVICES[$i]}" = "$1" ]; then echo $((HTTP_BASE + i + 1)); fi; done; }

print_env() {
  cat <<ENV
KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
POSTGRES_HOST=127.0.0.1
POSTGRES_PORT=$PG_PORT
POSTGRES_USER=intellicore
POSTGRES_PASSWORD=intellicore
POSTGRES_DATABASE=intellicore
REDIS_HOST=127.0.0.1
REDIS_PORT=$REDIS_PORT
ENV
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_port() { # $1 port, $2 what
  port_free "$1" || die "port $1 (for $2) is already taken by another program; stop it or set ${3:-the port variable} (see docs/operations.md)"
}

wait_for_port() { # $1 port, $2 what, $3 seconds
  local i
  for ((i = 0; i < ${3:-30} * 10; i++)); do port_free "$1" || return 0; sleep 0.1; done
  die "$2 did not open port $1; see $DIR/logs"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The PostgreSQL folder, owned by whoever runs the server.
prepare_pg_home() {
  mkdir -p "$PG_DATA" "$PG_RUN"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "user postgres is missing: run scripts/setup.sh (it installs PostgreSQL)"
    chmod 755 "$(dirname "$PG_HOME")"
    chown -R postgres "$PG_HOME"
  fi
  chmod 700 "$PG_DATA"
  ln -sfn "$PG_LOG" "$DIR/logs/postgres.log"
}

start_broker() {
  if pid_alive "$DIR/run/broker.pid"; then return; fi
  [ -x "$TANSU_BIN" ] || die "Tansu broker missing at $TANSU_BIN: run scripts/setup.sh"
  require_port "$KAFKA_PORT" "the Kafka broker" INTELLICORE_KAFKA_PORT
  log "starting Tansu broker on 127.0.0.1:$KAFKA_PORT"
  setsid "$TANSU_BIN" broker --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" --storage-engine "memory://tansu/" \
    >"$DIR/logs/broker.log" 2>&1 < /dev/null &
  echo $! > "$DIR/run/broker.pid"
  wait_for_port "$KAFKA_PORT" "the broker" 30
  rm -f "$DIR/run/topics.done"
}

start_postgres() {
  if [ -f "$PG_DATA/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then return; fi
  require_port "$PG_PORT" "PostgreSQL" INTELLICORE_POSTGRES_PORT
  prepare_pg_home
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initialising PostgreSQL in $PG_DATA"
    local pwfile="$PG_RUN/pgpass"
    echo intellicore > "$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U intellicore --pwfile="$pwfile" \
      -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DIR/logs/postgres-init.log" 2>&1 \
      || { rm -f "$pwfile"; die "initdb failed; see $DIR/logs/postgres-init.log"; }
    rm -f "$pwfile"
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_postgres touch "$PG_LOG"
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_RUN -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_init_zero=off -c wal_buffers=32MB" >/dev/null \
    || die "PostgreSQL did not start; see $PG_LOG"
  if ! PGPASSWORD=intellicore psql -h 127.0.0.1 -p "$PG_PORT" -U intellicore -d postgres -tAc \
       "select 1 from pg_database where datname='intellicore'" | grep -q 1; then
    PGPASSWORD=intellicore psql -q -h 127.0.0.1 -p "$PG_PORT" -U intellicore -d postgres -c "create database intellicore"
  fi
}

start_redis() {
  if pid_alive "$DIR/run/redis.pid"; then return; fi
  require_port "$REDIS_PORT" "Redis" INTELLICORE_REDIS_PORT
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$DIR/run/redis.pid" --logfile "$DIR/logs/redis.log" --dir "$DIR/run" --maxmemory 512mb \
    --maxmemory-policy allkeys-lru >/dev/null
  wait_for_port "$REDIS_PORT" "Redis" 10
}

create_topics() {
  [ -f "$DIR/run/topics.done" ] && return
  log "creating topics"
  local spec name parts
  # The prediction topics have one partition here: Tansu's cost is per partition in every produce
  # and fetch request, and one partition halved the end-to-end latency at 2k/s (docs/benchmarks.md).
  for spec in ingest.raw:8 datasets:4 training.commands:4 training.events:4 models:4 predictions.requests:1 \
              predictions.results:1 predictions.replies:1 predictions.feedback:4 monitoring.alerts:4 billing:4 tenants:4 audit:4 deadletter:4; do
    name="${INTELLICORE_TOPIC_PREFIX:-}intellicore.${spec%%:*}"; parts="${spec##*:}"
    "$TANSU_BIN" topic create "$name" --partitions "$parts" --broker "tcp://127.0.0.1:$KAFKA_PORT" \
      >>"$DIR/logs/topics.log" 2>&1 || grep -qi exist "$DIR/logs/topics.log" || die "creating $name failed; see $DIR/logs/topics.log"
  done
  forget_stored_offsets
  touch "$DIR/run/topics.done"
}

# The local broker keeps records in memory: a fresh one starts every partition at offset 0, so
# offsets that services keep in PostgreSQL (`consumer_offsets`, e.g. billing's) for the previous
# broker would make them skip the new broker's first records. They go with the broker.
forget_stored_offsets() {
  PGPASSWORD=intellicore psql -q -h 127.0.0.1 -p "$PG_PORT" -U intellicore -d intellicore -v ON_ERROR_STOP=1 -c "
    DO \$\$ DECLARE s text; BEGIN
      FOR s IN SELECT table_schema FROM information_schema.tables WHERE table_name = 'consumer_offsets' LOOP
        EXECUTE format('DELETE FROM %I.consumer_offsets', s);
      END LOOP;
    END \$\$;" >>"$DIR/logs/topics.log" 2>&1 || die "clearing stored consumer offsets failed; see $DIR/logs/topics.log"
  log "fresh broker: consumer offsets stored in PostgreSQL cleared"
}

# The platform administrator's key for ingestion (INGESTION_ADMIN_KEY): taken from the
# environment, or made once per stack and kept, readable by root only, in $DIR/admin-key.
admin_key() {
  if [ -n "${INGESTION_ADMIN_KEY:-}" ]; then echo "$INGESTION_ADMIN_KEY"; return; fi
  if [ ! -s "$DIR/admin-key" ]; then
    ( umask 077; head -c 32 /dev/urandom | base64 | tr -d '=+/\n' > "$DIR/admin-key" )
  fi
  cat "$DIR/admin-key"
}

start_services() {
  local bin="${INTELLICORE_BIN:?INTELLICORE_BIN must point at the built executables}" svc port key
  key=$(admin_key)
  for svc in "${SERVICES[@]}"; do
    port=$(service_port "$svc")
    if pid_alive "$DIR/run/$svc.pid"; then continue; fi
    require_port "$port" "the $svc service" INTELLICORE_HTTP_BASE_PORT
    log "starting $svc (http://127.0.0.1:$port)"
    ( set -a; eval "$(print_env)"; set +a
      export SERVICE_HTTP_HOST=127.0.0.1 SERVICE_HTTP_PORT="$port" LOG_LEVEL="${LOG_LEVEL:-info}" INGESTION_ADMIN_KEY="$key"
      setsid "$bin/$svc" >>"$DIR/logs/$svc.log" 2>&1 < /dev/null & echo $! > "$DIR/run/$svc.pid" )
  done
  local deadline=$((SECONDS + ${READY_TIMEOUT:-120})) pending
  while :; do
    pending=()
    for svc in "${SERVICES[@]}"; do
      pid_alive "$DIR/run/$svc.pid" || die "$svc exited during start-up; last lines of $DIR/logs/$svc.log:
$(tail -n 15 "$DIR/logs/$svc.log")"
      curl -fsS "http://127.0.0.1:$(service_port "$svc")/health/ready" >/dev/null 2>&1 || pending+=("$svc")
    done
    [ ${#pending[@]} -eq 0 ] && break
    [ $SECONDS -lt $deadline ] || die "not ready after ${READY_TIMEOUT:-120}s: ${pending[*]} (logs in $DIR/logs)"
    sleep 0.5
  done
  log "all five services report ready"
}

stop_pidfile() { # $1 pidfile, $2 name
  if pid_alive "$1"; then
    local pid; pid=$(cat "$1"); kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { log "$2 did not stop in 10 s; killing"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$1"
}

cmd_down() {
  [ -d "$DIR/run" ] || { log "nothing to stop"; return; }
  local svc
  for svc in "${SERVICES[@]}"; do stop_pidfile "$DIR/run/$svc.pid" "$svc"; done
  stop_pidfile "$DIR/run/broker.pid" broker
  rm -f "$DIR/run/topics.done"
  stop_pidfile "$DIR/run/redis.pid" redis
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  log "stopped"
}

cmd_status() {
  local svc state
  printf '%-24s %-8s %s\n' COMPONENT STATE ADDRESS
  state=$(pid_alive "$DIR/run/broker.pid" && echo "up ($(( $(ps -o rss= -p "$(cat "$DIR/run/broker.pid")") / 1024 )) MB)" || echo down)
  printf '%-24s %-8s %s\n' broker "$state" "127.0.0.1:$KAFKA_PORT"
  state=$(as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 && echo up || echo down)
  printf '%-24s %-8s %s\n' postgres "$state" "127.0.0.1:$PG_PORT (user/password intellicore, data in $PG_DATA)"
  printf '%-24s %-8s %s\n' redis "$(pid_alive "$DIR/run/redis.pid" && echo up || echo down)" "127.0.0.1:$REDIS_PORT"
  for svc in "${SERVICES[@]}"; do
    state=down
    pid_alive "$DIR/run/$svc.pid" && state=starting
    curl -fsS "http://127.0.0.1:$(service_port "$svc")/health/ready" >/dev/null 2>&1 && state=ready
    printf '%-24s %-8s %s\n' "$svc" "$state" "http://127.0.0.1:$(service_port "$svc")  log: $DIR/logs/$svc.log"
  done
  [ -s "$DIR/admin-key" ] && printf '%-24s %-8s %s\n' "admin key" "" "$DIR/admin-key (ingestion's INGESTION_ADMIN_KEY: creates tenants)"
  return 0
}

cmd_up() {
  mkdir -p "$DIR/logs" "$DIR/run"
  start_broker
  start_postgres
  start_redis
  create_topics
  if [ "${1:-}" = "--services" ]; then start_services; fi
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) print_env ;;
  port) service_port "${2:?which service}" ;;
  *) echo "usage: STACK=dev|test $0 up [--services] | down | status | env | port SERVICE" >&2; exit 2 ;;
esac
