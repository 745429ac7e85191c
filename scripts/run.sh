#!/usr/bin/env bash
# Builds Huddle (release) and runs it on the embedded defaults:
# http://127.0.0.1:3000, data in ./data. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
ensure_build_tools
step "Building and starting Huddle (cargo leptos serve --release --precompress --split)"
exec cargo leptos serve --release --precompress --split
