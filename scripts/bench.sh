#!/usr/bin/env bash
# The benchmark (bench/README.md): makes the machine ready as the tests do, adds wrk, and runs
# bench/run.py with the arguments given (none: the full run, about an hour on 2 cores;
# --quick: about 9 minutes). It writes BENCHMARKS.md, bench/results.json and bench/chart.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/testbed.sh
# shellcheck source=scripts/dev-env.sh
source scripts/dev-env.sh
if ! command -v wrk >/dev/null 2>&1; then
    echo "bench: installing wrk (Debian's package)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
exec python bench/run.py "$@"
