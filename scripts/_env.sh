# shellcheck shell=bash
# Shared set-up for scripts/test, scripts/develop and scripts/bench.
# Sourcing it creates (idempotently) the virtual environments and installs mosquitto.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"
VENV="$REPO_ROOT/.venv"
VENV_LATEST="$REPO_ROOT/.venv-latest"
UV_VERSION="0.13.9"
# The newest plugin release that still installs on Python 3.13.0 (Home Assistant 2026.2.3).
LATEST_PLUGIN="pytest-homeassistant-custom-component==0.13.316"
# Test-only extras installed beside the plugin in both environments.
LATEST_EXTRAS="hypothesis==6.140.2 psycopg2-binary==2.9.13"
export PYTHONDONTWRITEBYTECODE=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Find a Python >= 3.13: the pyenv 3.13.0 of these machines, or any python3.13/3.14 on PATH.
find_python() {
  local candidate
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.14*/bin/python3 "$(pyenv root)"/versions/3.13*/bin/python3; do
      [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
  fi
  for candidate in python3.14 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "No Python >= 3.13 found: install Python 3.13 (pyenv install 3.13) and run again." >&2
  return 1
}

ensure_uv() {
  if [ ! -x "$TOOLS_DIR/bin/uv" ]; then
    log "Installing uv $UV_VERSION into $TOOLS_DIR"
    "$PYTHON" -m venv "$TOOLS_DIR"
    "$TOOLS_DIR/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION" 2>&1 |
      grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  fi
  UV="$TOOLS_DIR/bin/uv"
}

# ensure_venv DIR STAMP_TEXT INSTALL_ARGS...: (re)build DIR when the stamp differs.
ensure_venv() {
  local dir="$1" stamp_text="$2"
  shift 2
  if [ -f "$dir/.ha_ai_stamp" ] && [ "$(cat "$dir/.ha_ai_stamp")" = "$stamp_text" ]; then
    return 0
  fi
  log "Creating $dir"
  rm -rf "$dir"
  "$UV" venv --quiet --python "$PYTHON" "$dir"
  VIRTUAL_ENV="$dir" "$UV" pip install --quiet --compile-bytecode "$@"
  echo "$stamp_text" >"$dir/.ha_ai_stamp"
}

ensure_main_venv() {
  local stamp
  stamp="$(sha256sum "$REPO_ROOT/requirements_test.txt" | cut -d' ' -f1)"
  ensure_venv "$VENV" "$stamp" -r "$REPO_ROOT/requirements_test.txt"
}

ensure_latest_venv() {
  # Home Assistant 2026.2 declares Requires-Python >= 3.13.2; it runs on 3.13.0 all the same.
  ensure_venv "$VENV_LATEST" "$LATEST_PLUGIN $LATEST_EXTRAS" --python-version 3.13.2 \
    "$LATEST_PLUGIN" $LATEST_EXTRAS
}

ensure_mosquitto() {
  if command -v mosquitto >/dev/null 2>&1 && command -v mosquitto_sub >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" != "0" ]; then
    echo "mosquitto and mosquitto-clients are missing: install them (sudo apt-get install -y mosquitto mosquitto-clients) and run again." >&2
    return 1
  fi
  log "Installing mosquitto from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
  # The Debian package may start a system broker on 1883; the project never uses it.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
}

# The recorder tests on PostgreSQL start their own server (initdb, postgres) in a
# temporary directory; they only need Debian's programs, and are skipped without them.
ensure_postgresql() {
  if compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" != "0" ]; then
    log "PostgreSQL is missing (sudo apt-get install -y postgresql): the recorder tests on PostgreSQL will be skipped"
    return 0
  fi
  log "Installing PostgreSQL from Debian"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }; then
    log "PostgreSQL could not be installed: the recorder tests on PostgreSQL will be skipped"
    return 0
  fi
  # The Debian package may start a system cluster on 5432; the project never uses it.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now postgresql >/dev/null 2>&1 || true; fi
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _; do
      pg_ctlcluster "$version" "$cluster" stop >/dev/null 2>&1 || true
    done || true
  fi
}

# The card's tests run on node's own test runner (node >= 18 has it).
ensure_node() {
  if command -v node >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" != "0" ]; then
    echo "node is missing: install it (sudo apt-get install -y nodejs) and run again." >&2
    return 1
  fi
  log "Installing node from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
}

# The browser tests drive Debian's Chromium with playwright-core from npm (no
# browser download). Without Chromium they are skipped, and say so.
ensure_browser() {
  if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
      log "Installing Chromium from Debian"
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
        log "Chromium could not be installed: the browser tests will be skipped"
    else
      log "Chromium is missing (sudo apt-get install -y chromium): the browser tests will be skipped"
    fi
  fi
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
      log "Installing npm from Debian"
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; } ||
        log "npm could not be installed: the browser tests will be skipped"
    fi
    if ! command -v npm >/dev/null 2>&1; then
      log "npm is missing (sudo apt-get install -y npm): the browser tests will be skipped"
      return 0
    fi
  fi
  local stamp
  stamp="$(sha256sum "$REPO_ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$REPO_ROOT/node_modules/.ha_ai_stamp" ] ||
    [ "$(cat "$REPO_ROOT/node_modules/.ha_ai_stamp")" != "$stamp" ]; then
    log "Installing playwright-core from npm"
    if (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
      echo "$stamp" >"$REPO_ROOT/node_modules/.ha_ai_stamp"
    else
      log "npm ci failed: the browser tests will be skipped"
    fi
  fi
}

# python_module MODULE ARGS...: run one of the project's modules (scripts.bench,
# benchmarks.habits_bench, ...) with the repository's root importable, so that it
# imports the engine and the other tools under their one name, from any directory.
python_module() {
  PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" -m "$@"
}

PYTHON="$(find_python)"
ensure_uv
