# Sourced by .ci/run: start a throwaway PostgreSQL server and export HERNIARULES_TEST_POSTGRES_DSN.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
pg_data=$(mktemp -d /tmp/herniarules-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pg_data"
  pg_as() { runuser -u postgres -- "$@"; }
else
  pg_as() { "$@"; }
fi
pg_as "$pg_bin/initdb" -D "$pg_data/db" -A trust -U postgres >/dev/null
pg_as "$pg_bin/pg_ctl" -D "$pg_data/db" -l "$pg_data/log" -w \
  -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1" start
trap 'pg_as "$pg_bin/pg_ctl" -D "$pg_data/db" -m fast -w stop || true; rm -rf "$pg_data"' EXIT
export HERNIARULES_TEST_POSTGRES_DSN="postgresql://postgres@127.0.0.1:$pg_port/postgres"
