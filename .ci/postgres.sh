#!/usr/bin/env bash
# A throwaway PostgreSQL server for the history-store tests.
#
#   eval "$(.ci/postgres.sh start)"   # prints: export AUDITOR_TEST_POSTGRES_URL=… AUDITOR_TEST_POSTGRES_DIR=…
#   … run the tests …
#   .ci/postgres.sh stop              # uses $AUDITOR_TEST_POSTGRES_DIR (or the directory given as $2)
#
# start: installs Debian's postgresql when no server is installed (apt-get), initialises a cluster in a new
# temporary directory owned by the postgres user (or the current user when not root: PostgreSQL refuses to
# run as root), starts it on 127.0.0.1 on a free port with a random password, and creates a database.
# Only the export lines go to stdout, so the output can be eval'ed; progress goes to stderr.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$dir" && -x "$dir/initdb" ]]; then echo "$dir"; fi
}

install_postgres() {
  log "installing PostgreSQL from Debian packages"
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { log "PostgreSQL is not installed: run this as root, or install postgresql"; exit 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  # postgresql (the server), not only the client; no recommends keeps it small.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
}

free_port() {
  # Bind port 0 and let the kernel choose; python3 is in every image that runs this project.
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Run a command as the cluster's owner (from /, which postgres may enter even when the caller's folder is
# private, e.g. under /root).
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

start() {
  local bindir
  bindir=$(pg_bindir)
  if [[ -z "$bindir" ]]; then
    install_postgres
    bindir=$(pg_bindir)
    [[ -n "$bindir" ]] || { log "PostgreSQL did not install"; exit 1; }
  fi
  # Debian's package starts its own cluster on 5432 when installed fresh; ours is separate and on its
  # own port, so that one is left alone.
  local dir port password database="auditor_test"
  dir=$(mktemp -d "${TMPDIR:-/tmp}/auditor-postgres.XXXXXX")
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
  chmod 700 "$dir"
  port=$(free_port)
  password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  printf '%s\n' "$password" >"$dir/pwfile"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir/pwfile"; fi

  log "initialising a cluster in $dir ($bindir)"
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=scram-sha-256 --pwfile="$dir/pwfile" \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pwfile"

  log "starting it on 127.0.0.1:$port"
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=100 -c fsync=off" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }

  PGPASSWORD="$password" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
  echo "export AUDITOR_TEST_POSTGRES_URL=postgresql+psycopg://postgres:$password@127.0.0.1:$port/$database"
  echo "export AUDITOR_TEST_POSTGRES_DIR=$dir"
}

stop() {
  local dir="${1:-${AUDITOR_TEST_POSTGRES_DIR:-}}" bindir
  if [[ -z "$dir" || ! -d "$dir" ]]; then
    log "nothing to stop (no AUDITOR_TEST_POSTGRES_DIR and no directory given)"
    return 0
  fi
  [[ -f "$dir/data/PG_VERSION" ]] || { log "$dir is not a cluster made by this script; not touching it"; exit 1; }
  bindir=$(pg_bindir)
  if [[ -n "$bindir" && -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || log "pg_ctl stop failed; removing anyway"
  fi
  rm -rf "$dir"
  log "stopped and removed $dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
