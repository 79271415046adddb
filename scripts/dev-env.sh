# shellcheck shell=bash
# Sourced by the scripts beside it: a virtualenv with quatrain and its test tools, reused.
# QUATRAIN_VENV chooses where (default: .venv in the checkout).
QUATRAIN_VENV=${QUATRAIN_VENV:-$(pwd)/.venv}
if [ ! -x "$QUATRAIN_VENV/bin/python" ]; then
    echo "dev-env: creating $QUATRAIN_VENV" >&2
    python3 -m venv "$QUATRAIN_VENV"
fi
"$QUATRAIN_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
export PATH="$QUATRAIN_VENV/bin:$PATH"
# The test bed's engine: Debian's 20.10 client does classic BuildKit without buildx.
if [ -z "${QUATRAIN_DOCKER:-}" ] && [ -x /usr/bin/docker ]; then
    export QUATRAIN_DOCKER=/usr/bin/docker
fi
