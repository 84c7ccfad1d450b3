#!/usr/bin/env bash
# The whole platform on this machine, on loopback: a PostgreSQL cluster, Redis, a Celery grading
# worker, REPLICAS app processes (serve.py) and Debian's nginx in front of them, sticky per browser.
#
#   scripts/stack.sh up       # start whatever is not running yet; prints the address to open
#   scripts/stack.sh status   # what runs, with pids and ports (exit 3 when something is stopped)
#   scripts/stack.sh down     # stop everything it started (the data stays)
#
# Settings, from the environment (a later `up` while part of the stack runs reuses the recorded ones):
#   STACK_DIR=./data/stack       configs, pids, logs, the database cluster and the app's data folder
#   REPLICAS=2                   app processes behind the proxy
#   PROXY_PORT=8080              nginx: the one address to open
#   APP_PORT=8601                the first replica's port, the others follow (or APP_PORTS="8601 8602");
#                                not 8501, so `make run` can run beside the stack
#   POSTGRES_PORT=5433  REDIS_PORT=6380   (not the system servers' ports, so both can run)
#   WORKER_QUEUES=cpu,long  WORKER_CONCURRENCY=2
#   STACK_ADMIN, STACK_ADMIN_PASSWORD   create this admin account if it does not exist yet
#                                       (else the first visit asks for one, as with `make run`)
# The app and the worker get DATABASE_URL, CHECKER_BACKEND=celery, CELERY_BROKER_URL and
# COURSE_DATA_DIR from the stack; every other setting (config.py) passes through as usual.
# Needs `make setup` and `scripts/system-deps.sh stack` (postgresql, redis-server, nginx).
# Delete STACK_DIR after `down` to start again from an empty database.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
NGINX="${NGINX:-/usr/sbin/nginx}"
STACK_DIR="${STACK_DIR:-$ROOT/data/stack}"
RUN="$STACK_DIR/run"
LOGS="$STACK_DIR/logs"
PGDIR="$STACK_DIR/postgres"
PGDATA="$PGDIR/data"
STATE_FILE="$STACK_DIR/stack.env"
DB_USER=course
DB_NAME=course

die() { echo "stack: $*" >&2; exit 1; }
say() { echo "stack: $*"; }

pg_bin() {
  # The newest installed server unless POSTGRES_BIN_DIR says which (as tests/postgres_server.py).
  if [ -n "${POSTGRES_BIN_DIR:-}" ]; then echo "$POSTGRES_BIN_DIR"; return; fi
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  echo "${found:-/usr/lib/postgresql/15/bin}"
}
PG_BIN="$(pg_bin)"

# initdb and postgres refuse to run as root: as root the cluster belongs to the postgres account.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

# --- processes ---------------------------------------------------------------------------------

# True when the pid in file $1 is alive and its command line contains $2: a stale pid file whose
# number now belongs to another process never makes us signal that process.
alive() {
  local file=$1 marker=$2 pid
  [ -f "$file" ] || return 1
  pid="$(head -n 1 "$file" 2>/dev/null | tr -dc 0-9)"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

pid_of() { head -n 1 "$1" | tr -dc 0-9; }

# The process group of pid $1, from /proc (procps is not on a minimal Debian): the fields after
# the command name, which is in parentheses and may hold spaces, are state, ppid, pgrp.
process_group() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  set -- ${stat##*) }
  echo "${3:-}"
}

# start NAME LOG COMMAND...: in its own session (so it outlives this script and a terminal's
# Ctrl+C, and `down` can signal its whole process group), its pid in run/NAME.pid.
start() {
  local name=$1 log=$2
  shift 2
  # A non-interactive shell's background job is no process-group leader, so setsid does not
  # fork and $! is the command's own pid.
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

# stop NAME PIDFILE MARKER SECONDS: SIGTERM to the process (it stops its children: the worker
# finishes its running jobs), SIGKILL to its process group after SECONDS.
stop() {
  local name=$1 file=$2 marker=$3 wait_s=$4 pid i
  if ! alive "$file" "$marker"; then
    rm -f "$RUN/$name.pid"
    return 0
  fi
  pid="$(pid_of "$file")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do
    alive "$file" "$marker" || break
    sleep 0.1
  done
  if alive "$file" "$marker"; then
    say "$name (pid $pid) did not stop in ${wait_s}s: killing it"
    # Its whole group only when it leads one (started with setsid, its group id is its pid).
    if [ "$(process_group "$pid")" = "$pid" ]; then kill -KILL -- "-$pid" 2>/dev/null || true
    else kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$RUN/$name.pid"
  say "stopped $name (pid $pid)"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_port() {
  port_in_use "$1" && die "port $1 (for $2) is in use by another program: choose another with $3=…"
  return 0
}

http_ok() {
  "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null
}

# wait_for WHAT SECONDS LOG PIDFILE MARKER COMMAND...: until COMMAND succeeds; fails with the log's
# tail on timeout, or at once when the process of PIDFILE (unless "") has exited.
wait_for() {
  local what=$1 seconds=$2 log=$3 pidfile=$4 marker=$5 i why
  shift 5
  for ((i = 0; i < seconds * 5; i++)); do
    "$@" && return 0
    if [ -n "$pidfile" ] && ! alive "$pidfile" "$marker"; then why="exited"; break; fi
    sleep 0.2
    why="did not come up in ${seconds}s"
  done
  echo "stack: $what $why; the end of $log:" >&2
  tail -n 30 "$log" >&2 2>/dev/null || true
  die "$what failed to start (the rest keeps running: inspect $LOGS, then \`scripts/stack.sh down\`)"
}

# --- settings ----------------------------------------------------------------------------------

replica_markers() { local p; for p in $APP_PORTS; do echo "--server.port $p"; done; }

anything_running() {
  [ -f "$STATE_FILE" ] || return 1
  local i=0 p
  alive "$PGDATA/postmaster.pid" "$PGDATA" && return 0
  alive "$RUN/redis.pid" redis-server && return 0
  alive "$RUN/worker.pid" grading.worker && return 0
  alive "$RUN/nginx.pid" "$STACK_DIR/nginx/nginx.conf" && return 0
  for p in $APP_PORTS; do
    i=$((i + 1))
    alive "$RUN/app-$i.pid" "--server.port $p" && return 0
  done
  return 1
}

load_recorded() {
  # shellcheck disable=SC1090  # written by write_state below
  [ -f "$STATE_FILE" ] && . "$STATE_FILE"
  return 0
}

settings_from_env() {
  REPLICAS="${REPLICAS:-2}"
  [[ "$REPLICAS" =~ ^[1-9][0-9]*$ ]] || die "REPLICAS=$REPLICAS: give a number of app processes (1 or more)"
  PROXY_PORT="${PROXY_PORT:-8080}"
  POSTGRES_PORT="${POSTGRES_PORT:-5433}"
  REDIS_PORT="${REDIS_PORT:-6380}"
  if [ -n "${APP_PORTS:-}" ]; then
    APP_PORTS="${APP_PORTS//,/ }"
    local count
    count=$(wc -w <<<"$APP_PORTS")
    [ "$count" -eq "$REPLICAS" ] || die "APP_PORTS lists $count ports for REPLICAS=$REPLICAS"
  else
    local first="${APP_PORT:-8601}" i
    APP_PORTS=""
    for ((i = 0; i < REPLICAS; i++)); do APP_PORTS="$APP_PORTS $((first + i))"; done
    APP_PORTS="${APP_PORTS# }"
  fi
  WORKER_QUEUES="${WORKER_QUEUES:-cpu,long}"
  WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-2}"
  COURSE_CONTENT_DIR="${COURSE_CONTENT_DIR:-$ROOT}"
}

write_state() {
  # What `status`, `down`, a later `up` and the test read: shell-quoted KEY=value lines. 0600: it
  # holds the database password.
  local tmp="$STATE_FILE.tmp"
  (
    umask 077
    {
      echo "# written by scripts/stack.sh up; read by status/down and tests/stack_fixtures.py"
      printf 'STACK_URL=%q\n' "http://127.0.0.1:$PROXY_PORT"
      printf 'REPLICAS=%q\n' "$REPLICAS"
      printf 'PROXY_PORT=%q\n' "$PROXY_PORT"
      printf 'APP_PORTS=%q\n' "$APP_PORTS"
      printf 'POSTGRES_PORT=%q\n' "$POSTGRES_PORT"
      printf 'REDIS_PORT=%q\n' "$REDIS_PORT"
      printf 'WORKER_QUEUES=%q\n' "$WORKER_QUEUES"
      printf 'WORKER_CONCURRENCY=%q\n' "$WORKER_CONCURRENCY"
      printf 'COURSE_CONTENT_DIR=%q\n' "$COURSE_CONTENT_DIR"
      printf 'COURSE_DATA_DIR=%q\n' "$STACK_DIR/data"
      printf 'DATABASE_URL=%q\n' "$DATABASE_URL"
      printf 'CELERY_BROKER_URL=%q\n' "redis://127.0.0.1:$REDIS_PORT/0"
      printf 'CHECKER_BACKEND=%q\n' celery
    } >"$tmp"
  )
  mv "$tmp" "$STATE_FILE"
}

# --- the parts ---------------------------------------------------------------------------------

check_prerequisites() {
  [ -x "$PY" ] || die "no virtualenv at $ROOT/.venv: run \`make setup\` first"
  local missing=()
  [ -x "$PG_BIN/initdb" ] || missing+=("PostgreSQL server ($PG_BIN/initdb)")
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ -x "$NGINX" ] || missing+=("nginx ($NGINX)")
  command -v setsid >/dev/null 2>&1 || missing+=("setsid (util-linux)")
  [ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]}. Install them with \`scripts/system-deps.sh stack\` (as root)"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root, where initdb refuses to work, and there is no 'postgres' account to run it as: install the postgresql package (scripts/system-deps.sh stack)"
  fi
}

# The database's password, made once with the cluster (readable by whoever runs the stack only).
db_password() {
  local file="$STACK_DIR/postgres.password"
  if [ ! -s "$file" ]; then
    (umask 077; "$PY" -c 'import secrets; print(secrets.token_hex(16))' >"$file")
  fi
  cat "$file"
}

start_postgres() {
  local password=$1
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    say "creating the PostgreSQL cluster in $PGDATA"
    rm -rf "$PGDIR"
    mkdir -p "$PGDIR"
    local pwfile="$PGDIR/initdb.pw"
    echo "$password" >"$pwfile"
    if [ "$(id -u)" -eq 0 ]; then
      chown -R postgres:postgres "$PGDIR"
      chmod 700 "$PGDIR"
      as_postgres test -w "$PGDIR" || die "the postgres account cannot reach $PGDIR (a folder above it is closed to other users): set STACK_DIR to a folder it can reach, e.g. under /srv or /tmp"
    fi
    as_postgres "$PG_BIN/initdb" -D "$PGDATA" -U "$DB_USER" --pwfile="$pwfile" --auth=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; tail -n 20 "$LOGS/initdb.log" >&2; die "initdb failed (log: $LOGS/initdb.log)"; }
    rm -f "$pwfile"
  fi
  if alive "$PGDATA/postmaster.pid" "$PGDATA"; then
    say "PostgreSQL already running (pid $(pid_of "$PGDATA/postmaster.pid"), port $POSTGRES_PORT)"
  else
    require_free_port "$POSTGRES_PORT" PostgreSQL POSTGRES_PORT
    # TCP on loopback only and no Unix socket (its path would have to fit in 107 bytes);
    # max_connections: each replica holds two connection pools, the worker one.
    as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -c unix_socket_directories='' -c max_connections=300" \
      start >"$LOGS/pg_ctl.log" 2>&1 \
      || { tail -n 20 "$PGDIR/server.log" >&2 2>/dev/null; die "PostgreSQL did not start (log: $PGDIR/server.log)"; }
    say "PostgreSQL on 127.0.0.1:$POSTGRES_PORT (pid $(pid_of "$PGDATA/postmaster.pid"))"
  fi
  local exists
  exists="$(PGPASSWORD="$password" "$PG_BIN/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$DB_USER" -d postgres \
    -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" || die "cannot connect to PostgreSQL on port $POSTGRES_PORT"
  if [ "$exists" != 1 ]; then
    PGPASSWORD="$password" "$PG_BIN/createdb" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$DB_USER" "$DB_NAME" \
      || die "could not create the database $DB_NAME"
  fi
}

redis_ping() { "$PY" -c 'import redis, sys; redis.Redis(port=int(sys.argv[1]), socket_timeout=1).ping()' "$REDIS_PORT" 2>/dev/null; }

start_redis() {
  if alive "$RUN/redis.pid" redis-server; then
    say "Redis already running (pid $(pid_of "$RUN/redis.pid"), port $REDIS_PORT)"
    return
  fi
  require_free_port "$REDIS_PORT" Redis REDIS_PORT
  mkdir -p "$STACK_DIR/redis"
  # No snapshots: Redis is only the broker; submissions live in the database, and the workers'
  # sweep sends again the work of a worker that went away.
  start redis "$LOGS/redis.log" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" \
    --appendonly no --dir "$STACK_DIR/redis" --protected-mode yes
  wait_for Redis 20 "$LOGS/redis.log" "$RUN/redis.pid" redis-server redis_ping
  say "Redis on 127.0.0.1:$REDIS_PORT (pid $(pid_of "$RUN/redis.pid"))"
}

prepare_database() {
  # Migrate once, before any replica starts: replicas migrate on start too, but several at once
  # would race on an empty database.
  "$PY" -m db upgrade >"$LOGS/migrate.log" 2>&1 || { tail -n 20 "$LOGS/migrate.log" >&2; die "migration failed (log: $LOGS/migrate.log)"; }
  say "database migrated"
  # The corpus the GPT lab trains on, when this machine has a copy (as `make run` does).
  local corpus
  for corpus in "$ROOT/data/corpus/tinyshakespeare.txt" "$ROOT/../shared/data/tinyshakespeare.txt"; do
    if [ -f "$corpus" ] && [ ! -f "$STACK_DIR/data/corpus/tinyshakespeare.txt" ]; then
      "$PY" -m courseware corpus add "$corpus" >>"$LOGS/migrate.log" 2>&1 || say "could not install the corpus from $corpus"
      break
    fi
  done
  if [ -n "${STACK_ADMIN:-}" ]; then
    [ -n "${STACK_ADMIN_PASSWORD:-}" ] || die "STACK_ADMIN needs STACK_ADMIN_PASSWORD"
    if "$PY" -m portal users list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$STACK_ADMIN"; then
      say "admin account $STACK_ADMIN exists"
    else
      "$PY" -m portal users add "$STACK_ADMIN" --name "$STACK_ADMIN" --role admin \
        --password "$STACK_ADMIN_PASSWORD" >/dev/null || die "could not create the admin account $STACK_ADMIN"
      say "admin account $STACK_ADMIN created"
    fi
  fi
}

worker_ready() { tail -c "+$1" "$LOGS/worker.log" 2>/dev/null | grep -q "consuming"; }

start_worker() {
  if alive "$RUN/worker.pid" grading.worker; then
    say "grading worker already running (pid $(pid_of "$RUN/worker.pid"))"
    return
  fi
  local offset
  offset=$(( $(stat -c %s "$LOGS/worker.log" 2>/dev/null || echo 0) + 1 ))
  start worker "$LOGS/worker.log" "$PY" -m grading.worker --queues "$WORKER_QUEUES" --concurrency "$WORKER_CONCURRENCY"
  # Ready once Celery consumes: the sandboxes (zygotes importing torch) are started before that.
  wait_for "the grading worker" 180 "$LOGS/worker.log" "$RUN/worker.pid" grading.worker worker_ready "$offset"
  say "grading worker (queues $WORKER_QUEUES, $WORKER_CONCURRENCY slots, pid $(pid_of "$RUN/worker.pid"))"
}

start_replicas() {
  local i=0 port started=()
  for port in $APP_PORTS; do
    i=$((i + 1))
    if alive "$RUN/app-$i.pid" "--server.port $port"; then
      say "app $i already running (pid $(pid_of "$RUN/app-$i.pid"), port $port)"
      continue
    fi
    require_free_port "$port" "app replica $i" APP_PORT
    # One cookie secret for all (Streamlit takes it from the environment or a file, not the
    # command line): Streamlit signs its own cookies with it (st.login), and a browser moves to
    # another replica when its own dies. The rest as `make run`, with .streamlit/config.toml.
    start "app-$i" "$LOGS/app-$i.log" env STREAMLIT_SERVER_COOKIE_SECRET="$(cat "$STACK_DIR/cookie.secret")" \
      "$PY" -m streamlit run "$ROOT/serve.py" \
      --server.address 127.0.0.1 --server.port "$port" --server.headless true \
      --browser.gatherUsageStats false
    started+=("$i:$port")
  done
  local entry
  for entry in "${started[@]}"; do
    i=${entry%%:*}; port=${entry#*:}
    wait_for "app $i" 120 "$LOGS/app-$i.log" "$RUN/app-$i.pid" "--server.port $port" \
      http_ok "http://127.0.0.1:$port/_stcore/health"
    say "app $i on 127.0.0.1:$port (pid $(pid_of "$RUN/app-$i.pid"))"
  done
}

render_nginx_conf() {
  local servers="" port user_line=""
  for port in $APP_PORTS; do
    servers+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
  done
  servers="${servers%$'\n'}"
  # As root the master binds and reads the config; its workers drop to Debian's www-data.
  if [ "$(id -u)" -eq 0 ]; then user_line="user www-data;"; fi
  local text
  text="$(cat "$ROOT/scripts/nginx.conf.template")"
  text="${text//@USER_DIRECTIVE@/$user_line}"
  text="${text//@STATE@/$STACK_DIR}"
  text="${text//@LISTEN@/127.0.0.1:$PROXY_PORT}"
  text="${text//@SERVERS@/$servers}"
  printf '%s\n' "$text" >"$STACK_DIR/nginx/nginx.conf"
}

start_nginx() {
  local conf="$STACK_DIR/nginx/nginx.conf"
  if alive "$RUN/nginx.pid" "$conf"; then
    say "nginx already running (pid $(pid_of "$RUN/nginx.pid"), port $PROXY_PORT)"
    return
  fi
  require_free_port "$PROXY_PORT" nginx PROXY_PORT
  mkdir -p "$STACK_DIR/nginx/tmp"
  chmod 755 "$STACK_DIR/nginx" "$STACK_DIR/nginx/tmp"
  if [ "$(id -u)" -eq 0 ] && ! setpriv --reuid=www-data --regid=www-data --clear-groups -- test -x "$STACK_DIR/nginx/tmp"; then
    die "nginx's workers (www-data) cannot reach $STACK_DIR/nginx/tmp (a folder above it is closed to other users): set STACK_DIR to a folder they can reach, e.g. under /srv or /tmp"
  fi
  render_nginx_conf
  # -e: the error log before the config is read (Debian's default is root's /var/log/nginx).
  "$NGINX" -p "$STACK_DIR/nginx" -c "$conf" -e "$LOGS/nginx-error.log" -t >"$LOGS/nginx-test.log" 2>&1 \
    || { cat "$LOGS/nginx-test.log" >&2; die "nginx refused $conf"; }
  # nginx puts itself in the background and writes run/nginx.pid.
  "$NGINX" -p "$STACK_DIR/nginx" -c "$conf" -e "$LOGS/nginx-error.log" </dev/null >>"$LOGS/nginx-error.log" 2>&1 \
    || { tail -n 20 "$LOGS/nginx-error.log" >&2; die "nginx did not start (log: $LOGS/nginx-error.log)"; }
  # No pid check here: the daemon writes its pid file a moment after the command returns (and
  # the command itself fails on a bad config or a taken port).
  wait_for nginx 20 "$LOGS/nginx-error.log" "" "" http_ok "http://127.0.0.1:$PROXY_PORT/_stcore/health"
  say "nginx on 127.0.0.1:$PROXY_PORT (pid $(pid_of "$RUN/nginx.pid"))"
}

# Every port a part that is not running yet will take, checked before anything starts: a clash
# then stops `up` with nothing half started.
check_ports() {
  local i=0 port
  alive "$PGDATA/postmaster.pid" "$PGDATA" || require_free_port "$POSTGRES_PORT" PostgreSQL POSTGRES_PORT
  alive "$RUN/redis.pid" redis-server || require_free_port "$REDIS_PORT" Redis REDIS_PORT
  for port in $APP_PORTS; do
    i=$((i + 1))
    alive "$RUN/app-$i.pid" "--server.port $port" || require_free_port "$port" "app replica $i" APP_PORT
  done
  alive "$RUN/nginx.pid" "$STACK_DIR/nginx/nginx.conf" || require_free_port "$PROXY_PORT" nginx PROXY_PORT
}

# --- commands ----------------------------------------------------------------------------------

cmd_up() {
  check_prerequisites
  mkdir -p "$STACK_DIR"
  STACK_DIR="$(cd "$STACK_DIR" && pwd)"
  [[ "$STACK_DIR" =~ [[:space:]] ]] && die "STACK_DIR ($STACK_DIR) must not contain spaces: its paths go into nginx's config unquoted"
  RUN="$STACK_DIR/run"; LOGS="$STACK_DIR/logs"; PGDIR="$STACK_DIR/postgres"; PGDATA="$PGDIR/data"
  STATE_FILE="$STACK_DIR/stack.env"
  mkdir -p "$RUN" "$LOGS" "$STACK_DIR/data" "$STACK_DIR/nginx"
  # Checked in a subshell: the recorded settings replace those of the environment only when part
  # of the stack runs (a fresh `up` after `down` takes REPLICAS=3 and new ports from the environment).
  if (load_recorded && anything_running); then
    load_recorded
    say "part of the stack in $STACK_DIR runs: starting what is missing, with its recorded settings"
  else
    settings_from_env
  fi
  check_ports
  [ -s "$STACK_DIR/cookie.secret" ] || (umask 077; "$PY" -c 'import secrets; print(secrets.token_hex(32))' >"$STACK_DIR/cookie.secret")
  local password
  password="$(db_password)"
  DATABASE_URL="postgresql+psycopg://$DB_USER:$password@127.0.0.1:$POSTGRES_PORT/$DB_NAME"
  write_state
  # What the app, the worker and the CLI calls below read (config.py).
  export DATABASE_URL CHECKER_BACKEND=celery CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0" \
    COURSE_DATA_DIR="$STACK_DIR/data" COURSE_CONTENT_DIR
  cd "$ROOT"
  start_postgres "$password"
  start_redis
  prepare_database
  start_worker
  start_replicas
  start_nginx
  say "up: open http://127.0.0.1:$PROXY_PORT ($REPLICAS app processes; state and logs in $STACK_DIR)"
}

cmd_down() {
  if [ ! -d "$STACK_DIR" ]; then say "nothing to stop: no $STACK_DIR"; return 0; fi
  STACK_DIR="$(cd "$STACK_DIR" && pwd)"
  RUN="$STACK_DIR/run"; PGDIR="$STACK_DIR/postgres"; PGDATA="$PGDIR/data"; STATE_FILE="$STACK_DIR/stack.env"
  load_recorded
  APP_PORTS="${APP_PORTS:-}"
  # The proxy first (no new requests), then the replicas, the worker (its running jobs finish,
  # up to 60 s), the broker and the database.
  local conf="$STACK_DIR/nginx/nginx.conf" i=0 port pidfile
  stop nginx "$RUN/nginx.pid" "$conf" 10
  for pidfile in "$RUN"/app-*.pid; do
    [ -e "$pidfile" ] || continue
    i=$(basename "$pidfile" .pid); i=${i#app-}
    port=$(echo "$APP_PORTS" | awk -v n="$i" '{print $n}')
    stop "app-$i" "$pidfile" "--server.port ${port:-unknown}" 20
  done
  stop worker "$RUN/worker.pid" grading.worker 60
  stop redis "$RUN/redis.pid" redis-server 10
  if alive "$PGDATA/postmaster.pid" "$PGDATA"; then
    local pid
    pid="$(pid_of "$PGDATA/postmaster.pid")"
    as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null \
      || die "PostgreSQL (pid $pid) did not stop: see $PGDIR/server.log"
    say "stopped PostgreSQL (pid $pid)"
  fi
  say "down (data kept in $STACK_DIR)"
}

cmd_status() {
  if [ ! -f "$STACK_DIR/stack.env" ]; then say "not set up: no $STACK_DIR/stack.env (run \`scripts/stack.sh up\`)"; return 3; fi
  STACK_DIR="$(cd "$STACK_DIR" && pwd)"
  RUN="$STACK_DIR/run"; PGDIR="$STACK_DIR/postgres"; PGDATA="$PGDIR/data"; STATE_FILE="$STACK_DIR/stack.env"
  load_recorded
  local stopped=0 i=0 port
  line() {  # NAME PIDFILE MARKER [PORT]
    if alive "$2" "$3"; then printf '  %-10s running  pid %-8s %s\n' "$1" "$(pid_of "$2")" "${4:+127.0.0.1:$4}"
    else printf '  %-10s stopped\n' "$1"; stopped=1; fi
  }
  echo "stack in $STACK_DIR: $STACK_URL"
  line postgres "$PGDATA/postmaster.pid" "$PGDATA" "$POSTGRES_PORT"
  line redis "$RUN/redis.pid" redis-server "$REDIS_PORT"
  line worker "$RUN/worker.pid" grading.worker
  for port in $APP_PORTS; do
    i=$((i + 1))
    line "app-$i" "$RUN/app-$i.pid" "--server.port $port" "$port"
  done
  line nginx "$RUN/nginx.pid" "$STACK_DIR/nginx/nginx.conf" "$PROXY_PORT"
  return $((stopped * 3))
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: scripts/stack.sh up|down|status   (settings: see the top of $0)" >&2; exit 2 ;;
esac
