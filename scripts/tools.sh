# Installs what building Huddle needs, only where it is missing. Sourced by
# scripts/run.sh and scripts/test.sh. Every tool comes from a package
# registry (rustup's target, crates.io, npm, Debian); nothing is downloaded
# from anywhere else. Versions: see shared/toolchain.md.

set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.10
# Must equal the wasm-bindgen version pinned in Cargo.toml.
WASM_BINDGEN_VERSION=0.2.130

step() { printf '\n\033[1;34m==> %s\033[0m  (%s)\n' "$*" "$(date +%H:%M:%S)"; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "Adding the wasm32-unknown-unknown Rust target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if ! cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
    step "Installing cargo-leptos ${CARGO_LEPTOS_VERSION} (about 13 minutes on 2 cores, once)"
    cargo install cargo-leptos --version "${CARGO_LEPTOS_VERSION}" --locked --features no_downloads
  fi
}

ensure_wasm_bindgen() {
  if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
    step "Installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (about 5 minutes, once)"
    cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
  fi
}

ensure_npm_packages() {
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/sass ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step "Installing npm packages (wasm-opt, sass, Playwright, socket.io-client)"
    npm ci --no-audit --no-fund
  fi
  # cargo-leptos finds wasm-opt and sass on PATH only.
  export PATH="$PWD/node_modules/.bin:$PATH"
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    step "Installing Debian's chromium for the browser tests"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
  fi
}

# Redis and PostgreSQL on their standard local ports, for the cluster and
# store tests. Machines of this kind run both already; elsewhere they are
# installed from Debian's packages and started.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_services() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! port_open 6379; then
    step "Starting Redis (127.0.0.1:6379) for the cluster tests"
    command -v redis-server >/dev/null || {
      $sudo apt-get update
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y redis-server
    }
    $sudo service redis-server start || redis-server --daemonize yes --save "" --appendonly no
  fi
  if ! port_open 5432; then
    step "Starting PostgreSQL (127.0.0.1:5432) for the store and cluster tests"
    command -v pg_ctlcluster >/dev/null || {
      $sudo apt-get update
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y postgresql
    }
    $sudo service postgresql start
  fi
  for i in $(seq 1 50); do
    port_open 6379 && port_open 5432 && return 0
    sleep 0.2
  done
  echo "Redis (127.0.0.1:6379) or PostgreSQL (127.0.0.1:5432) is not reachable: the cluster tests need both" >&2
  return 1
}

ensure_build_tools() {
  ensure_wasm_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_npm_packages
}
