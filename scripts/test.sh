#!/usr/bin/env bash
# Sets up what the tests need (engine, stand-in images, tools) and runs every test.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/testbed.sh
# shellcheck source=scripts/dev-env.sh
source scripts/dev-env.sh
ruff check src tests
ruff format --check src tests
mypy
lint-imports --no-cache
python -m pytest "$@"
