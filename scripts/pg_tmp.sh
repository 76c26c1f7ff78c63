#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the test suite.
#
#   eval "$(bash scripts/pg_tmp.sh)"      # start; sets DONATIONS_TEST_DATABASE_URL and PGTMP_DIR
#   bash scripts/pg_tmp.sh stop "$PGTMP_DIR"   # stop it and delete its folder
#
# The cluster lives in a new temporary folder, trusts every local connection, listens
# only on 127.0.0.1 on a free port (and on a unix socket inside the folder), and trades
# durability for speed (fsync, synchronous_commit and full_page_writes off).
# When run as root, initdb and pg_ctl run as the `postgres` user (initdb refuses root).
# Exactly one line goes to stdout (the exports); every diagnostic goes to stderr.
# Set PG_BIN to use other PostgreSQL binaries (default /usr/lib/postgresql/15/bin).
set -euo pipefail

DB_NAME=donations_test
# The caller's libpq settings (e.g. PGSSLMODE=require) must not change how we connect.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGSSLMODE PGOPTIONS PGDATA
DB_USER=postgres

log() { printf 'pg_tmp: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

find_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then
        [[ -x "$PG_BIN/pg_ctl" ]] || die "PG_BIN=$PG_BIN has no pg_ctl"
        return
    fi
    PG_BIN=/usr/lib/postgresql/15/bin
    if [[ ! -x "$PG_BIN/initdb" ]]; then
        # Not the expected version: take the newest installed one rather than fail.
        local candidate
        candidate=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
            sort -V | tail -n 1 || true)
        [[ -n "$candidate" && -x "$candidate/initdb" ]] ||
            die "PostgreSQL is not installed (no /usr/lib/postgresql/15/bin/initdb); apt-get install postgresql"
        log "warning: /usr/lib/postgresql/15/bin not found; using $candidate"
        PG_BIN=$candidate
    fi
}

# Run a PostgreSQL server program as the cluster's owner, from inside the cluster folder
# (postgres may not be allowed into the caller's working directory).
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        (cd "$DIR" && runuser -u postgres -- "$@")
    else
        (cd "$DIR" && "$@")
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

stop_cluster() {
    local dir=$1
    [[ -n "$dir" && -d "$dir" ]] || {
        log "nothing to stop: '$dir' is not a folder"
        return 0
    }
    # Refuse to delete anything that is not one of our clusters.
    [[ -f "$dir/.pg_tmp" ]] || die "'$dir' was not made by pg_tmp.sh; not touching it"
    DIR=$dir
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2 ||
            log "warning: pg_ctl stop failed (already stopped?)"
    fi
    rm -rf -- "$dir"
    log "stopped and removed $dir"
}

start_cluster() {
    if [[ $(id -u) -eq 0 ]]; then
        getent passwd postgres >/dev/null || die "running as root but there is no 'postgres' user"
        # /tmp, not $TMPDIR: the postgres user must be able to reach the folder.
        DIR=$(mktemp -d /tmp/pg_tmp.XXXXXXXX)
    else
        DIR=$(mktemp -d "${TMPDIR:-/tmp}/pg_tmp.XXXXXXXX")
    fi
    : >"$DIR/.pg_tmp"
    chmod 700 "$DIR"
    if [[ $(id -u) -eq 0 ]]; then
        chown -R postgres: "$DIR"
    fi
    # Anything going wrong from here on: show the server log, remove the folder.
    trap 'rc=$?; if [[ $rc -ne 0 ]]; then
            [[ -f "$DIR/server.log" ]] && { log "server log:"; sed "s/^/    /" "$DIR/server.log" >&2; }
            stop_cluster "$DIR" || true
          fi' EXIT

    log "initdb in $DIR/data"
    # initdb is chatty: keep its output unless it fails.
    if ! as_owner "$PG_BIN/initdb" -D "$DIR/data" -U "$DB_USER" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1; then
        cat "$DIR/initdb.log" >&2
        log "initdb with locale C.UTF-8 failed; trying --no-locale"
        as_owner "$PG_BIN/initdb" -D "$DIR/data" -U "$DB_USER" --auth=trust \
            --encoding=UTF8 --no-locale --no-sync >&2 || die "initdb failed"
    fi

    local port="" attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port) || die "could not find a free port (is python3 installed?)"
        log "starting on 127.0.0.1:$port (attempt $attempt)"
        if as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$DIR \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >&2; then
            break
        fi
        # Most likely the port was taken between choosing and binding it: try another one.
        port=""
        [[ -f "$DIR/data/postmaster.pid" ]] &&
            as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >&2 2>/dev/null || true
    done
    [[ -n "$port" ]] || die "the server did not start"

    local i
    for ((i = 0; i < 300; i++)); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres && break
        sleep 0.1
    done
    "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres >&2 ||
        die "the server does not answer on 127.0.0.1:$port"

    "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U "$DB_USER" \
        --maintenance-db=postgres "$DB_NAME" >&2 || die "createdb $DB_NAME failed"
    log "ready: database $DB_NAME on 127.0.0.1:$port (stop with: bash $0 stop $DIR)"

    trap - EXIT
    printf 'export DONATIONS_TEST_DATABASE_URL=postgresql+psycopg://%s@127.0.0.1:%s/%s; export PGTMP_DIR=%q\n' \
        "$DB_USER" "$port" "$DB_NAME" "$DIR"
}

find_bin
case "${1:-start}" in
    start) start_cluster ;;
    stop)
        [[ $# -eq 2 ]] || die "usage: $0 stop DIR"
        stop_cluster "$2"
        ;;
    *) die "usage: $0 [start] | $0 stop DIR" ;;
esac
