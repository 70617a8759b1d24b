# Sourced by .ci/run (bash, set -euo pipefail) before the tests. What the commerce-mysql tests
# need beyond .ci/setup-services.sh (which installs and starts MariaDB on 127.0.0.1:3306):
#  * the test URL's account can log in over TCP without a password. A fresh Debian MariaDB lets
#    root in only through the unix socket, so a passwordless root@127.0.0.1 is created through
#    the socket when the TCP login fails (this is a CI machine; nothing listens beyond localhost);
#  * the URL's database exists (scratch databases `commerce_test_*` are created from it);
#  * max_connections leaves room for parallel tests (each store has two pools; the benchmark
#    opens 64 + 64 connections).
# Quick when everything is in place. Exports COMMERCE_TEST_MYSQL_URL.

export COMMERCE_TEST_MYSQL_URL="${COMMERCE_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"

_commerce_mysql_setup() {
  local url="$COMMERCE_TEST_MYSQL_URL"
  # Only a local server on the default port is ours to configure.
  case "$url" in
    mysql://root@127.0.0.1:3306/*|mysql://root@localhost:3306/*) ;;
    *) echo "setup-mysql: $url is not the local default; leaving it as it is"; return 0 ;;
  esac
  local db="${url##*/}"
  db="${db%%\?*}"

  if ! (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; then
    # setup-services.sh sorts after this file; it is idempotent, so run it now.
    # shellcheck disable=SC1091
    source "$(dirname "${BASH_SOURCE[0]}")/setup-services.sh"
  fi
  if ! command -v mariadb >/dev/null 2>&1; then
    echo "setup-mysql: no mariadb client; assuming $url is usable"
    return 0
  fi

  if ! mariadb --protocol=TCP -h127.0.0.1 -P3306 -uroot -e "SELECT 1" >/dev/null 2>&1; then
    echo "setup-mysql: enabling passwordless root over TCP from 127.0.0.1"
    mariadb -uroot -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;" \
      || echo "setup-mysql: could not grant TCP access (tests will report MySQL unreachable)"
  fi
  mariadb --protocol=TCP -h127.0.0.1 -P3306 -uroot -e "CREATE DATABASE IF NOT EXISTS \`$db\`" >/dev/null 2>&1 \
    || echo "setup-mysql: could not create database $db"

  local max
  max="$(mariadb --protocol=TCP -h127.0.0.1 -P3306 -uroot -N -e "SELECT @@max_connections" 2>/dev/null || echo 0)"
  if [ "${max:-0}" -lt 400 ]; then
    mariadb --protocol=TCP -h127.0.0.1 -P3306 -uroot -e "SET GLOBAL max_connections = 400" >/dev/null 2>&1 || true
  fi
}
_commerce_mysql_setup
unset -f _commerce_mysql_setup
