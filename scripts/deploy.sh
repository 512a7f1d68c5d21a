#!/usr/bin/env bash
# Production install and run of eventsapp on one machine: web (gunicorn), Celery worker, Celery beat.
#
#   scripts/deploy.sh install   # virtualenv, runtime packages, compiled translations
#   scripts/deploy.sh migrate   # flask db upgrade (the settings are checked first)
#   scripts/deploy.sh start     # gunicorn + worker + beat in the background (pid and log files)
#   scripts/deploy.sh status    # which processes run, and /healthz
#   scripts/deploy.sh stop      # stop all three (TERM, then wait)
#   scripts/deploy.sh all       # install, migrate, start
#   scripts/deploy.sh flask …   # any `flask` command with the same settings (users create, reminders preview…)
#
# Settings come from the environment, or from the file named by EVENTSAPP_ENV_FILE (default: .env in
# the checkout), exported to every process; see docs/operator-guide.md "Configuration" for the variables production
# requires. Script knobs (environment): VENV (default .venv), RUN_DIR (pid and log files, default
# $EVENTSAPP_INSTANCE_DIR or instance/run), BIND (default 127.0.0.1:8000), WEB_WORKERS (4),
# WORKER_QUEUES (default,mail,feeds), WORKER_CONCURRENCY (2), PYTHON (python3), START_TIMEOUT (seconds
# a daemon may take to come up, 120).
# On several machines run `start` with the parts each one needs: `start web`, `start worker`,
# `start beat` (exactly one beat for the whole installation).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ENV_FILE="${EVENTSAPP_ENV_FILE:-$ROOT/.env}"
if [[ -f "$ENV_FILE" ]]; then
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
fi
export EVENTSAPP_CONFIG="${EVENTSAPP_CONFIG:-production}"
export FLASK_APP=eventsapp

VENV="${VENV:-$ROOT/.venv}"
BIN="$VENV/bin"
RUN_DIR="${RUN_DIR:-${EVENTSAPP_INSTANCE_DIR:-$ROOT/instance}/run}"
BIND="${BIND:-127.0.0.1:8000}"
WEB_WORKERS="${WEB_WORKERS:-4}"
WORKER_QUEUES="${WORKER_QUEUES:-default,mail,feeds}"
WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-2}"
PYTHON="${PYTHON:-python3}"
START_TIMEOUT="${START_TIMEOUT:-120}"
PARTS=(web worker beat)

say() { printf 'deploy: %s\n' "$*"; }
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }

install() {
    if [[ ! -x "$BIN/python" ]]; then
        say "creating the virtualenv $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    say "installing requirements.txt"
    "$BIN/pip" install --quiet --upgrade pip
    "$BIN/pip" install --quiet -r requirements.txt
    compile_translations
}

compile_translations() {
    # messages.mo is not in git: without it every page and e-mail is in English.
    say "compiling the translations"
    "$BIN/pybabel" compile -d eventsapp/translations -f
}

migrate() {
    [[ -x "$BIN/flask" ]] || die "no $BIN/flask: run \`scripts/deploy.sh install\` first"
    say "migrating the database"
    "$BIN/flask" db upgrade
}

pidfile() { echo "$RUN_DIR/$1.pid"; }

running() {
    local file
    file="$(pidfile "$1")"
    [[ -f "$file" ]] && kill -0 "$(cat "$file")" 2>/dev/null
}

# What each part logs once it is up (Celery rewrites its pid file while it starts: the pid file
# alone does not say the daemon is ready).
ready_marker() {
    case "$1" in
        web) echo "Booting worker" ;;
        worker) echo " ready." ;;
        beat) echo "beat: Starting..." ;;
    esac
}

start_part() {
    local part="$1" log offset
    if running "$part"; then
        say "$part already runs (pid $(cat "$(pidfile "$part")"))"
        return
    fi
    log="$RUN_DIR/$part.log"
    offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
    case "$part" in
        web)
            "$BIN/gunicorn" --daemon --workers "$WEB_WORKERS" --bind "$BIND" \
                --pid "$(pidfile web)" --access-logfile "$RUN_DIR/web-access.log" \
                --error-logfile "$log" "eventsapp:create_app()" ;;
        worker)
            "$BIN/celery" -A celery_worker worker --detach --loglevel=INFO -Q "$WORKER_QUEUES" \
                --concurrency "$WORKER_CONCURRENCY" --pidfile "$(pidfile worker)" \
                --logfile "$log" -n "eventsapp-worker@%h" ;;
        beat)
            "$BIN/celery" -A celery_worker beat --detach --loglevel=INFO --pidfile "$(pidfile beat)" \
                --logfile "$log" --schedule "$RUN_DIR/celerybeat-schedule" ;;
        *) die "unknown part $part (web, worker, beat)" ;;
    esac
    # Up when it has logged its ready line and its pid file names a live process; a bad setting
    # makes it exit instead.
    for _ in $(seq 1 $((START_TIMEOUT * 2))); do
        if tail -c +"$((offset + 1))" "$log" 2>/dev/null | grep -qF -- "$(ready_marker "$part")" && running "$part"; then
            say "$part started (pid $(cat "$(pidfile "$part")"), log in $RUN_DIR)"
            return
        fi
        sleep 0.5
    done
    die "$part did not start within ${START_TIMEOUT} s: see $log"
}

start() {
    [[ -x "$BIN/gunicorn" ]] || die "no $BIN/gunicorn: run \`scripts/deploy.sh install\` first"
    mkdir -p "$RUN_DIR"
    # Checks the settings once, with one clear line, before three daemons each fail on their own.
    "$BIN/python" -c "from eventsapp import create_app; create_app()" || die "the settings are incomplete (above)"
    local part
    for part in "${@:-${PARTS[@]}}"; do
        start_part "$part"
    done
}

stop_part() {
    local part="$1" file pid
    file="$(pidfile "$part")"
    if ! running "$part"; then
        rm -f "$file"
        return
    fi
    pid="$(cat "$file")"
    kill -TERM "$pid"
    # Workers finish the task in hand (acks are late: an interrupted one is redelivered).
    for _ in $(seq 1 120); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$file"; say "$part stopped"; return; }
        sleep 0.5
    done
    die "$part (pid $pid) is still running after 60 s"
}

stop() {
    local part
    for part in "${@:-beat worker web}"; do
        for one in $part; do stop_part "$one"; done
    done
}

status() {
    local part
    for part in "${PARTS[@]}"; do
        if running "$part"; then say "$part runs (pid $(cat "$(pidfile "$part")"))"; else say "$part is stopped"; fi
    done
    if running web; then
        "$BIN/python" - "$BIND" <<'PY'
import sys, urllib.request
host = sys.argv[1]
request = urllib.request.Request(f"http://{host}/healthz", headers={"X-Forwarded-Proto": "https"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        print("deploy: /healthz", response.status, response.read().decode())
except Exception as error:  # a 503 names the part that is down
    body = getattr(error, "read", lambda: b"")().decode()
    print("deploy: /healthz", getattr(error, "code", ""), body or error)
PY
    fi
}

command="${1:-}"
shift || true
case "$command" in
    install) install ;;
    translations) compile_translations ;;
    migrate) migrate ;;
    start) start "$@" ;;
    stop) stop "$@" ;;
    restart) stop "$@"; start "$@" ;;
    status) status ;;
    all) install; migrate; start ;;
    flask) exec "$BIN/flask" "$@" ;;
    *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
