#!/usr/bin/env bash
# Installs the Debian packages the platform needs, when missing.
#   scripts/system-deps.sh run    # bubblewrap (the checker's sandbox), python3-venv
#   scripts/system-deps.sh stack  # the same, plus what scripts/stack.sh starts: postgresql, redis-server, nginx
#   scripts/system-deps.sh test   # the same, plus chromium (browser tests), redis-server (Celery tests),
#                                 # postgresql (the suite's PostgreSQL pass) and nginx (the stack test);
#                                 # the tests start their own servers
# As root it installs them with apt-get; as another user it says what to install and fails.
set -euo pipefail
need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
mode="${1:-run}"
case "$mode" in
  run|stack|test) ;;
  *) echo "usage: $0 run|stack|test" >&2; exit 2 ;;
esac
if [ "$mode" = test ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ "$mode" = stack ] || [ "$mode" = test ]; then
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  # Not on PATH for a normal user (it lives in /usr/sbin), hence the full path.
  [ -x /usr/sbin/nginx ] || need+=(nginx)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with:  sudo apt-get install ${need[*]}" >&2
  exit 1
fi
