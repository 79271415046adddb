#!/usr/bin/env bash
# The main job on the example project: build its production and development images and
# prove both work (import, HTTP on $PORT, clean stop on SIGTERM).
# Usage: bash scripts/demo.sh [PROJECT]   (default: examples/flask-app)
set -euo pipefail
cd "$(dirname "$0")/.."
project=${1:-examples/flask-app}
bash scripts/testbed.sh
# shellcheck source=scripts/dev-env.sh
source scripts/dev-env.sh
# The images the test bed provides (pulled, or local stand-ins where no registry is reachable);
# builds use the host network because the test bed's daemon runs without a bridge.
quatrain verify "$project" --python-version 3.11 --debian-release bookworm --network host
