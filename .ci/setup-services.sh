# Sourced by .ci/run. Makes sure the database servers the tests use are running, starting or
# installing them when they are missing, and exports their URLs (tests read these).
# MariaDB: 127.0.0.1:3306, root without password (the tests create their own databases).

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do port_open "$1" && return 0; sleep 0.1; done
  return 1
}

apt_install() {
  if [ -z "${_commerce_apt_updated:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    _commerce_apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Build dependencies of the native-tls HTTP clients.
if ! pkg-config --exists openssl 2>/dev/null; then
  echo "installing libssl-dev and pkg-config"
  apt_install libssl-dev pkg-config
fi

if ! port_open 3306; then
  if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    echo "installing mariadb-server"
    apt_install mariadb-server
  fi
  echo "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql >/dev/null 2>&1 || true
  wait_port 3306 60 || echo "MariaDB did not come up on 3306"
fi
# root must be able to log in over TCP without a password (as on the project's machines)
if command -v mariadb >/dev/null 2>&1; then
  mariadb -uroot -e "SELECT 1" >/dev/null 2>&1 || true
fi
export COMMERCE_TEST_MYSQL_URL="${COMMERCE_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"
