#!/usr/bin/env bash
# A throw-away PostgreSQL server for the test suite: a fresh data directory in a temp folder,
# 127.0.0.1 only, a free port, trust authentication, fsync off. Not for anything but tests.
#
#   source .ci/postgres.sh        # exports STOCKROOM_TEST_POSTGRES; stop with stockroom_pg_stop
#   trap stockroom_pg_stop EXIT   # (what .ci/run does)
#   bash .ci/postgres.sh          # leaves it running; prints the export line and how to stop it
#
# Binaries: /usr/local/bin if initdb/pg_ctl/postgres are there, else /usr/lib/postgresql/*/bin
# (15 preferred), else `apt-get install postgresql`. As root the server runs as user `postgres`
# (created if missing), since PostgreSQL refuses to run as root.

# Runs a command as the server's user: `postgres` when we are root, else ourselves.
_stockroom_pg_as() {
  if [[ $(id -u) -ne 0 ]]; then
    "$@"
  elif command -v runuser >/dev/null; then
    runuser -u postgres -- "$@"
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

_stockroom_pg_bindir() {
  local d
  if [[ -x /usr/local/bin/initdb && -x /usr/local/bin/pg_ctl && -x /usr/local/bin/postgres ]]; then
    echo /usr/local/bin
    return 0
  fi
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

_stockroom_pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits up to 30 s until the server on 127.0.0.1:$1 accepts connections.
_stockroom_pg_wait() {
  local port=$1 bindir=$2 sock=$3 isready i
  isready=$(command -v "$bindir/pg_isready" || command -v pg_isready || true)
  for ((i = 0; i < 300; i++)); do
    if [[ -n $isready ]]; then
      "$isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && return 0
    elif command -v psql >/dev/null; then
      psql -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'select 1' >/dev/null 2>&1 && return 0
    else
      python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
        "$port" 2>/dev/null && [[ -S $sock/.s.PGSQL.$port ]] && return 0
    fi
    sleep 0.1
  done
  return 1
}

stockroom_pg_stop() {
  [[ -n ${STOCKROOM_PG_DIR:-} ]] || return 0
  if [[ -f $STOCKROOM_PG_DIR/data/postmaster.pid ]]; then
    (cd / && _stockroom_pg_as "$STOCKROOM_PG_BINDIR/pg_ctl" -D "$STOCKROOM_PG_DIR/data" -m fast -w -t 30 stop >/dev/null) ||
      echo "postgres.sh: pg_ctl stop failed (log: $STOCKROOM_PG_DIR/server.log)" >&2
  fi
  rm -rf "$STOCKROOM_PG_DIR"
  unset STOCKROOM_PG_DIR STOCKROOM_PG_BINDIR STOCKROOM_TEST_POSTGRES
}

_stockroom_pg_start() {
  local bindir dir port attempt
  if ! bindir=$(_stockroom_pg_bindir); then
    echo "== installing PostgreSQL (Debian packages)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
    bindir=$(_stockroom_pg_bindir) || { echo "postgres.sh: no initdb after installing postgresql" >&2; return 1; }
  fi
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin postgres || return 1
  fi

  # In /tmp, not $TMPDIR: the postgres user must reach it, and the socket path must stay short.
  dir=$(mktemp -d /tmp/stockroom-pg.XXXXXX) || return 1
  [[ $(id -u) -ne 0 ]] || chown postgres: "$dir" || return 1
  export STOCKROOM_PG_DIR=$dir STOCKROOM_PG_BINDIR=$bindir

  # UTF8 with the C locale: case-insensitive comparison comes from the schema's ICU collation.
  if ! (cd / && _stockroom_pg_as "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C \
    >"$dir/initdb.log" 2>&1); then
    echo "postgres.sh: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    stockroom_pg_stop
    return 1
  fi

  # A port can be taken between choosing and binding it: a few tries.
  for attempt in 1 2 3; do
    port=$(_stockroom_pg_free_port) || { stockroom_pg_stop; return 1; }
    _stockroom_pg_as tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF
# .ci/postgres.sh (attempt $attempt)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    if (cd / && _stockroom_pg_as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null) &&
      _stockroom_pg_wait "$port" "$bindir" "$dir"; then
      export STOCKROOM_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
      echo "PostgreSQL $("$bindir/postgres" -V | awk '{print $3}') on $STOCKROOM_TEST_POSTGRES ($dir)" >&2
      return 0
    fi
    (cd / && _stockroom_pg_as "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1) || true
  done
  echo "postgres.sh: the server did not start; last log lines:" >&2
  tail -n 20 "$dir/server.log" >&2 2>/dev/null
  stockroom_pg_stop
  return 1
}

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  _stockroom_pg_start || return 1
else
  set -euo pipefail
  _stockroom_pg_start
  echo "export STOCKROOM_TEST_POSTGRES=$STOCKROOM_TEST_POSTGRES"
  as=""
  [[ $(id -u) -ne 0 ]] || as="runuser -u postgres -- "
  echo "# stop: ${as}$STOCKROOM_PG_BINDIR/pg_ctl -D $STOCKROOM_PG_DIR/data stop && rm -rf $STOCKROOM_PG_DIR"
fi
