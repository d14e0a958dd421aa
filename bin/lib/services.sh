# Sourced by bin/test: makes sure the real servers the integration tests use are installed and running on
# loopback: PostgreSQL (trust auth on 127.0.0.1:5432), RabbitMQ (guest/guest on 127.0.0.1:5672), and Debian's
# Chromium + chromium-driver for the browser tests. Installs with apt-get when something is missing (needs root).
# The S3 server (S3Proxy) is not here: the tests start it themselves, as a separate process on a free port.

sq_apt_updated=""
sq_apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "error: '$*' is not installed and installing it needs root (apt-get install -y $*)." >&2
    return 1
  fi
  if [ -z "$sq_apt_updated" ]; then
    apt-get update -qq >/dev/null && sq_apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

sq_wait_for() { # name tries command...
  local name=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "error: $name did not come up" >&2
  return 1
}

sq_ensure_postgres() {
  local installed_now=""
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "installing PostgreSQL"
    sq_apt_install postgresql || return 1
    installed_now=1
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then
      echo "error: PostgreSQL is installed but has no cluster under /etc/postgresql" >&2
      return 1
    fi
    echo "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || return 1
    sq_wait_for PostgreSQL 30 pg_isready -q -h 127.0.0.1 -p 5432 || return 1
  fi
  # The tests connect as 'postgres' over TCP without a password (trust on loopback, as on the CI machines). A server
  # this script just installed gets that rule; a server someone configured is left alone.
  if [ -n "$installed_now" ] && ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    local hba
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | sort -V | tail -n 1)
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$(dirname "$(dirname "$hba")")")" main reload
  fi
  if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    echo "error: cannot connect to PostgreSQL on 127.0.0.1:5432 as 'postgres' without a password." >&2
    echo "       Allow trust for 127.0.0.1/32 in pg_hba.conf, or set SQ_TEST_PG_USER/SQ_TEST_PG_PASSWORD." >&2
    [ -n "${SQ_TEST_PG_PASSWORD:-}" ] || return 1
  fi
}

sq_ensure_rabbitmq() {
  command -v rabbitmq-server >/dev/null || sq_apt_install rabbitmq-server || return 1
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    echo "starting RabbitMQ"
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 rabbitmq-server -detached || return 1
    sq_wait_for RabbitMQ 60 rabbitmqctl -q status || return 1
  fi
}

sq_ensure_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "installing Debian chromium + chromium-driver (browser tests)"
    sq_apt_install chromium chromium-driver || return 1
  fi
}

# oneDNN (libdnnl.so.2): the reference library the INT8 kernel tests cross-check against and the benchmarks compare
# with. Optional: without it those checks skip with a message, so a failed install does not stop the tests.
sq_ensure_onednn() {
  if ! ldconfig -p 2>/dev/null | grep -q 'libdnnl\.so\.2'; then
    echo "installing Debian libdnnl2 (oneDNN, the INT8/FP32 GEMM reference)"
    sq_apt_install libdnnl2 || echo "note: oneDNN not installed; the oneDNN cross-checks will be skipped"
  fi
}
