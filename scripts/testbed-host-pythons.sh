#!/usr/bin/env bash
# More stand-ins for the official `python` images, made from CPython builds this machine
# already has (pyenv's, under $PYENV_ROOT/versions), for Pythons Debian does not ship:
#
#   bash scripts/testbed-host-pythons.sh 3.10.13 3.12.1 3.11.7
#
# scripts/testbed.sh gives 3.11 (bookworm) and 3.13 (trixie) from Debian's packages; a lock
# whose packages have wheels only up to 3.10 or 3.12, or a project pinned to one patch release,
# needs the Python it was made for. The official images are CPython built from source into
# /usr/local on Debian, and so is a pyenv build on this bookworm host: this copies one into
# /usr/local of the bookworm slim stand-in (its shared libraries are the same Debian
# packages) and tags it python:X.Y.Z-slim-bookworm and, with build-essential added, the
# full python:X.Y.Z-bookworm; the X.Y tags too where no image has them yet.
# Only pip (and, up to 3.11, setuptools and wheel, as in the official images) is kept of the
# build's site-packages. The images carry org.quatrain.stand-in=true and the source.
#
# Not run by the test suite: the fixtures need only testbed.sh's images. It is for trying
# quatrain's default Python choice on real projects (README, "Real projects").
set -euo pipefail

DOCKER=${QUATRAIN_DOCKER:-/usr/bin/docker}
PYENV_VERSIONS=${PYENV_ROOT:-$HOME/.pyenv}/versions
BASE=python:3.11-slim-bookworm

log() { printf 'testbed-host-pythons: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$#" -gt 0 ] || die "name the versions to provide, e.g. 3.10.13 3.12.1 (found: $(ls "$PYENV_VERSIONS" 2>/dev/null | tr '\n' ' '))"
"$DOCKER" image inspect "$BASE" >/dev/null 2>&1 || die "$BASE is missing: run scripts/testbed.sh first"

TEMP_DIR=$(mktemp -d /var/tmp/quatrain-host-python.XXXXXX)
trap 'rm -rf "$TEMP_DIR"' EXIT

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# Tags X.Y.Z always, and X.Y only where no image has it yet: the Debian-made
# python:3.11-slim-bookworm of testbed.sh stays what the fixtures build on.
build_image() {
  local tag=$1 minor_tag=$2 context=$3
  log "$tag: building (log in $context.log)"
  if ! DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain --network host -t "$tag" "$context" >"$context.log" 2>&1; then
    tail -n 20 "$context.log" >&2
    die "$tag: the build failed"
  fi
  if image_exists "$minor_tag"; then
    log "$minor_tag: present, left as it is"
  else
    "$DOCKER" tag "$tag" "$minor_tag"
  fi
}

provide() {
  local version=$1 minor prefix context
  [[ $version =~ ^3\.[0-9]+\.[0-9]+$ ]] || die "$version: give a full version X.Y.Z"
  minor=${version%.*}
  prefix=$PYENV_VERSIONS/$version
  [ -x "$prefix/bin/python$minor" ] || die "$version: no CPython build at $prefix"
  if image_exists "python:$version-slim-bookworm" && image_exists "python:$version-bookworm"; then
    log "python:$version-slim-bookworm and python:$version-bookworm: present"
    return 0
  fi
  context=$TEMP_DIR/$version
  mkdir -p "$context"
  # The interpreter, its standard library and headers; of site-packages only what the
  # official image has.
  local keep=(pip)
  [ "${minor#3.}" -le 11 ] && keep+=(setuptools wheel _distutils_hack pkg_resources distutils-precedence.pth)
  local patterns=()
  for name in "${keep[@]}"; do patterns+=(-e "^$name\$" -e "^$name-.*\.dist-info\$"); done
  tar -C "$prefix" -cf "$context/python.tar" \
    --exclude="lib/python$minor/site-packages" --exclude='__pycache__' --exclude='*.pyc' \
    bin include lib share
  mkdir -p "$context/site-packages"
  ls "$prefix/lib/python$minor/site-packages" | grep "${patterns[@]}" |
    while read -r name; do cp -a "$prefix/lib/python$minor/site-packages/$name" "$context/site-packages/"; done
  cat >"$context/Dockerfile" <<EOF
FROM $BASE
# Debian's python3 stays in /usr/bin; /usr/local/bin comes first on PATH, as in the official image.
RUN rm -f /usr/local/bin/python /usr/local/bin/python3 /usr/local/bin/pip /usr/local/bin/pip3
ADD python.tar /usr/local/
COPY site-packages/ /usr/local/lib/python$minor/site-packages/
RUN ldconfig
RUN ln -sfn python$minor /usr/local/bin/python3 && ln -sfn python3 /usr/local/bin/python \\
 && ln -sfn pip$minor /usr/local/bin/pip3 && ln -sfn pip3 /usr/local/bin/pip \\
 && python -c 'import ssl, sqlite3, lzma, bz2, ctypes, zlib, venv, ensurepip, sys; print(sys.version)'
ENV PYTHON_VERSION=$version
LABEL org.quatrain.stand-in=true org.quatrain.stand-in.source=host-cpython-$version
CMD ["python3"]
EOF
  build_image "python:$version-slim-bookworm" "python:$minor-slim-bookworm" "$context"
  mkdir -p "$context/full"
  cat >"$context/full/Dockerfile" <<EOF
FROM python:$version-slim-bookworm
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends build-essential git curl \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
LABEL org.quatrain.stand-in=true org.quatrain.stand-in.source=host-cpython-$version
EOF
  build_image "python:$version-bookworm" "python:$minor-bookworm" "$context/full"
  "$DOCKER" run --rm --network none "python:$version-slim-bookworm" sh -c 'python -m venv /tmp/v && /tmp/v/bin/python -c "import sys; print(sys.version)"' >&2
  log "python:$version-slim-bookworm, python:$version-bookworm: ready"
}

for version in "$@"; do provide "$version"; done
