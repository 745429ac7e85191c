#!/usr/bin/env bash
# Installs what the tests need, then runs the whole suite: formatting, clippy
# for both targets, Rust unit and integration tests (against the local
# Redis and PostgreSQL too), the release build, and the Playwright tests in
# Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
# One run from a clean state gains nothing from incremental compilation,
# whose caches take about 20 GB beside the debug build (a disk filled up
# with them here); a developer may set CARGO_INCREMENTAL=1.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
ensure_build_tools
ensure_chromium
ensure_services

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy: server (ssr) and bench/ (load tool, baseline server, benches), tests included"
cargo clippy --workspace --all-targets --features ssr -- -D warnings
step "clippy: browser (hydrate, wasm32)"
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "Rust unit and integration tests (and those of the load tool and the baseline server)"
cargo test --workspace --features ssr

step "The vendored engineioxide's own tests (it carries Huddle's patches: vendor/README.md)"
CARGO_TARGET_DIR=target/vendor cargo test --locked --manifest-path vendor/engineioxide/Cargo.toml --all-features

step "Benchmarks, each run once as a test (criterion's test mode; history on a small room)"
cargo test --workspace --features ssr --bench history --bench hot_paths --bench broadcast

step "Release build (server + WASM client)"
cargo leptos build --release --precompress --split

step "Browser tests (Playwright, /usr/bin/chromium)"
npx playwright test --config end2end/playwright.config.ts

step "All tests passed"
