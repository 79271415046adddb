#!/usr/bin/env bash
# Make this machine ready for quatrain's engine tests: a running Docker Engine
# and the two base images the tests build FROM.
#
#   bash scripts/testbed.sh
#
# Idempotent: a second run only checks what is there and takes a few seconds.
# On a normal machine with Docker and a reachable registry it just pulls the
# official images. Where no registry is reachable (air-gapped machines, the
# project's CI) it builds local stand-ins from Debian packages, tags them with
# the official names and labels them org.quatrain.stand-in=true so they can
# never be mistaken for the real images.
#
# Environment:
#   QUATRAIN_DOCKER          docker client to use (default /usr/bin/docker; it
#                            must support BuildKit, the 28.x client in
#                            /usr/local/bin has no buildx and does not)
#   QUATRAIN_DEBIAN_MIRROR   Debian mirror for the stand-ins (default: read
#                            from this machine's apt sources)
#   QUATRAIN_TESTBED_SUITES  Debian suites to provide images for (default
#                            bookworm: Python 3.11; trixie adds Python 3.13)
#   QUATRAIN_TESTBED_DIR     where the registry binary and the DOCKER_CONFIG of
#                            the buildx and compose plugins (cli-plugins/) go
#                            (default ~/.cache/quatrain-testbed); the engine
#                            tests read the same variable
#   QUATRAIN_PODMAN          podman binary (default podman); Debian's package
#                            is installed when it is missing, and the stand-ins
#                            are copied into its store from Docker's
set -euo pipefail

DOCKER=${QUATRAIN_DOCKER:-/usr/bin/docker}
SUITES=${QUATRAIN_TESTBED_SUITES:-bookworm}
SLIM_TAG=
FULL_TAG=
SUITE=
SLIM_PACKAGES=python3,python3-venv,python3-pip,ca-certificates
FULL_EXTRA_PACKAGES=python3-dev,build-essential,git,curl
HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
DOCKERD_LOG=/tmp/dockerd.log
DOCKERD_WAIT_SECONDS=60
PULL_TIMEOUT_SECONDS=60
TESTBED_DIR=${QUATRAIN_TESTBED_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quatrain-testbed}

# Directories to remove on exit, whatever happens.
TEMP_DIRS=()
APT_UPDATED=false
TEMP_DIR=
MIRROR=

log() { printf 'testbed: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
  local dir
  for dir in "${TEMP_DIRS[@]}"; do
    remove_tree "$dir"
  done
}
trap cleanup EXIT

# rm -rf a rootfs safely: debootstrap mounts /proc and /sys inside the target
# and leaves them mounted if it dies half-way; never recurse into the host's.
remove_tree() {
  local dir=$1 mnt
  [ -d "$dir" ] || return 0
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(findmnt -rn -o TARGET 2>/dev/null | awk -v d="$dir/" 'index($0, d) == 1' | sort -r)
  rm -rf --one-file-system "$dir"
}

# Sets TEMP_DIR (not printed: a $(...) subshell would lose the registration
# for clean-up).
make_temp_dir() {
  TEMP_DIR=$(mktemp -d "/var/tmp/quatrain-$1.XXXXXX")
  TEMP_DIRS+=("$TEMP_DIR")
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Install Debian packages; refreshes the package lists once per run.
apt_install() {
  is_root || die "need root to install $* (apt-get); install it yourself or run as root"
  if ! $APT_UPDATED; then
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=true
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Only one run at a time: CI and the README demo may overlap, and two runs
# would start two daemons or debootstrap the same image twice.
take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  local lock
  lock="${TMPDIR:-/tmp}/quatrain-testbed.$(id -u).lock"
  exec 9>"$lock"
  if ! flock -n 9; then
    log "another testbed run holds $lock; waiting for it"
    flock 9
  fi
}

# --- 1. Engine -------------------------------------------------------------

engine_ok() { "$DOCKER" info >/dev/null 2>&1; }

# Debian installs dockerd in /usr/sbin, other packages in /usr/bin.
find_dockerd() {
  local candidate
  for candidate in /usr/bin/dockerd /usr/sbin/dockerd; do
    if [ -x "$candidate" ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  command -v dockerd 2>/dev/null
}

# A dockerd that is still starting (or starting in a parallel shell) owns the
# pid file; starting a second one would only fail on that file.
dockerd_running() {
  local pid
  [ -r /var/run/docker.pid ] || return 1
  pid=$(cat /var/run/docker.pid 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

wait_for_engine() {
  local waited=0
  until engine_ok; do
    if [ "$waited" -ge "$DOCKERD_WAIT_SECONDS" ]; then
      log "the engine did not answer within ${DOCKERD_WAIT_SECONDS}s; tail of $DOCKERD_LOG:"
      tail -n 30 "$DOCKERD_LOG" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "engine is up after ${waited}s"
}

ensure_engine() {
  if engine_ok; then
    log "engine: reusing the running daemon ($DOCKER info works)"
    return 0
  fi
  is_root || die "'$DOCKER info' fails and this is not root: start the Docker daemon (or join the docker group) and run again"

  local dockerd
  dockerd=$(find_dockerd) || dockerd=
  # docker.io brings dockerd and the 20.10 client at /usr/bin/docker.
  if [ -z "$dockerd" ] || ! command -v "$DOCKER" >/dev/null 2>&1; then
    apt_install docker.io
    dockerd=$(find_dockerd) || die "docker.io is installed but no dockerd was found"
  fi
  command -v "$DOCKER" >/dev/null 2>&1 || die "docker client $DOCKER not found (set QUATRAIN_DOCKER)"

  if dockerd_running; then
    log "engine: a dockerd is already running but not answering yet; waiting"
  else
    # No iptables and no bridge: this VM must never route to private
    # networks; tests use --network host (builds) or --network none.
    log "engine: starting $dockerd (log in $DOCKERD_LOG)"
    # 9>&-: the daemon must not inherit the lock's descriptor, or it would hold the lock
    # for as long as it runs and every later testbed run would wait for it.
    setsid "$dockerd" --iptables=false --ip6tables=false --bridge=none >"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
  fi
  wait_for_engine
}

# --- 2. Stand-in base images ---------------------------------------------

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

is_stand_in() {
  [ "$("$DOCKER" image inspect -f '{{ index .Config.Labels "org.quatrain.stand-in" }}' "$1" 2>/dev/null)" = true ]
}

try_pull() {
  log "$1: trying a pull (at most ${PULL_TIMEOUT_SECONDS}s)"
  if timeout "$PULL_TIMEOUT_SECONDS" "$DOCKER" pull -q "$1" >/dev/null 2>&1; then
    log "$1: pulled"
    return 0
  fi
  log "$1: pull failed; building a local stand-in"
  return 1
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
}

# First URI of a deb822 .sources file whose Suites list has $SUITE itself
# (bookworm, not bookworm-security).
mirror_from_deb822() {
  awk -v suite="$SUITE" '
    function flush() {
      if (!found && enabled != "no" && (" " types " ") ~ / deb / &&
          (" " suites " ") ~ (" " suite " ") && split(uris, u, " ") > 0) {
        print u[1]; found = 1
      }
      types = ""; uris = ""; suites = ""; enabled = ""
    }
    /^[[:space:]]*#/ { next }
    /^[[:space:]]*$/ { flush(); next }
    { key = tolower($1); $1 = "" }
    key == "types:"   { types = $0 }
    key == "uris:"    { uris = $0 }
    key == "suites:"  { suites = $0 }
    key == "enabled:" { enabled = tolower($2) }
    END { flush() }
  ' "$1"
}

# First "deb [options] URI $SUITE ..." line of a one-line-style sources.list.
mirror_from_list() {
  awk -v suite="$SUITE" '
    $1 == "deb" {
      i = 2
      if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if ($(i + 1) == suite) { print $i; exit }
    }
  ' "$1"
}

# Refuse mirrors on private networks (10/8, 172.16/12, 192.168/16), by
# literal address or by what the name resolves to.
is_private_ipv4() {
  case $1 in
    10.* | 192.168.*) return 0 ;;
    172.*)
      local second=${1#172.}
      second=${second%%.*}
      [ "$second" -ge 16 ] 2>/dev/null && [ "$second" -le 31 ]
      return
      ;;
  esac
  return 1
}

check_mirror_address() {
  local host addr
  host=${1#*://}
  host=${host%%/*}
  host=${host##*@}
  host=${host%:*}
  [ -n "$host" ] || return 0
  for addr in $host $(getent ahostsv4 "$host" 2>/dev/null | awk '{ print $1 }' | sort -u); do
    if is_private_ipv4 "$addr"; then
      die "mirror $1 is on a private network ($addr); this script never contacts those"
    fi
  done
}

# The mirror is read at run time so no host name lives in the repository.
find_mirror() {
  [ -n "$MIRROR" ] && return 0
  MIRROR=${QUATRAIN_DEBIAN_MIRROR:-}
  # The host's apt sources name its own suite; one Debian mirror serves every suite.
  local wanted=$SUITE SUITE
  for SUITE in "$wanted" bookworm trixie; do
    if [ -z "$MIRROR" ] && [ -r /etc/apt/sources.list.d/debian.sources ]; then
      MIRROR=$(mirror_from_deb822 /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$MIRROR" ] && [ -r /etc/apt/sources.list ]; then
      MIRROR=$(mirror_from_list /etc/apt/sources.list)
    fi
  done
  SUITE=$wanted
  [ -n "$MIRROR" ] || die "no Debian $SUITE mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list; set QUATRAIN_DEBIAN_MIRROR"
  MIRROR=${MIRROR%/}
  check_mirror_address "$MIRROR"
  log "Debian mirror: $MIRROR"
}

run_debootstrap() {
  local rootfs=$1 include=$2 debootstrap_log
  debootstrap_log="$rootfs.log"
  log "debootstrap $SUITE with $include (a minute or so; log in $debootstrap_log)"
  if ! debootstrap --variant=minbase --include="$include" "$SUITE" "$rootfs" "$MIRROR" >"$debootstrap_log" 2>&1; then
    tail -n 30 "$debootstrap_log" >&2 || true
    die "debootstrap failed"
  fi
}

# Make the Debian rootfs behave like the official image where generated
# Dockerfiles rely on it.
configure_rootfs() {
  local rootfs=$1 name
  # The official image has python/pip in /usr/local/bin; Debian only python3/pip3.
  mkdir -p "$rootfs/usr/local/bin"
  for name in python python3; do ln -sfn /usr/bin/python3 "$rootfs/usr/local/bin/$name"; done
  for name in pip pip3; do ln -sfn /usr/bin/pip3 "$rootfs/usr/local/bin/$name"; done
  # PEP 668: Debian's marker makes "pip install" outside a venv fail; the
  # official image has no such marker.
  find "$rootfs"/usr/lib/python3* -maxdepth 1 -name EXTERNALLY-MANAGED -delete 2>/dev/null || true
  # HTTPS goes through an intercepting proxy whose CA is only in the host
  # bundle. Also drop it in /usr/local/share/ca-certificates so that a later
  # update-ca-certificates in a container keeps it.
  if [ -r "$HOST_CA_BUNDLE" ]; then
    cp "$HOST_CA_BUNDLE" "$rootfs/etc/ssl/certs/ca-certificates.crt"
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cp "$HOST_CA_BUNDLE" "$rootfs/usr/local/share/ca-certificates/quatrain-host-bundle.crt"
  fi
  # apt inside containers uses the same mirror as debootstrap did.
  rm -f "$rootfs/etc/apt/sources.list.d/debian.sources"
  printf 'deb %s %s main\n' "$MIRROR" "$SUITE" >"$rootfs/etc/apt/sources.list"
  rm -f "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin
  rm -rf "$rootfs"/var/lib/apt/lists/*
}

import_rootfs() {
  local rootfs=$1 tag=$2
  log "$tag: importing the rootfs"
  tar -C "$rootfs" -c . | "$DOCKER" import \
    -c 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    -c 'ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt' \
    -c 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    -c 'LABEL org.quatrain.stand-in=true' \
    -c 'LABEL org.quatrain.stand-in.source=debian-bookworm' \
    -c 'CMD ["python3"]' \
    - "$tag" >/dev/null
}

build_with_debootstrap() {
  local tag=$1 include=$2 rootfs
  is_root || die "$tag: building a stand-in needs root (debootstrap); run as root or pull the image"
  ensure_debootstrap
  find_mirror
  make_temp_dir rootfs
  rootfs=$TEMP_DIR
  run_debootstrap "$rootfs" "$include"
  configure_rootfs "$rootfs"
  import_rootfs "$rootfs" "$tag"
  remove_tree "$rootfs"
  rm -f "$rootfs.log"
}

# The full image is the slim stand-in plus compilers and headers: a short
# docker build reuses the slim rootfs and is faster than a second debootstrap.
build_full_from_slim() {
  local context build_log
  make_temp_dir build
  context=$TEMP_DIR
  build_log="$context.log"
  cat >"$context/Dockerfile" <<EOF
FROM $SLIM_TAG
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-dev build-essential git curl \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
LABEL org.quatrain.stand-in=true org.quatrain.stand-in.source=debian-bookworm
EOF
  log "$FULL_TAG: docker build FROM $SLIM_TAG (log in $build_log)"
  if DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain --network host -t "$FULL_TAG" "$context" >"$build_log" 2>&1; then
    rm -f "$build_log"
    return 0
  fi
  tail -n 20 "$build_log" >&2 || true
  return 1
}

sanity_check() {
  local tag=$1 out
  log "$tag: sanity check"
  out=$("$DOCKER" run --rm --network none "$tag" python -c 'import sys, venv, ensurepip; print(sys.version)') ||
    die "$tag: python, venv or ensurepip is missing"
  "$DOCKER" run --rm --network none "$tag" sh -c 'python -m venv /tmp/v && /tmp/v/bin/pip --version' >/dev/null ||
    die "$tag: python -m venv does not give a working pip"
  is_stand_in "$tag" || die "$tag: the label org.quatrain.stand-in=true is missing"
  log "$tag: ok, Python ${out%% *}"
}

ensure_slim() {
  if image_exists "$SLIM_TAG"; then
    log "$SLIM_TAG: present"
    return 0
  fi
  try_pull "$SLIM_TAG" && return 0
  build_with_debootstrap "$SLIM_TAG" "$SLIM_PACKAGES"
  sanity_check "$SLIM_TAG"
}

ensure_full() {
  if image_exists "$FULL_TAG"; then
    log "$FULL_TAG: present"
    return 0
  fi
  try_pull "$FULL_TAG" && return 0
  # Only layer on a stand-in: the real slim image keeps its Python in
  # /usr/local and Debian's python3-dev would not match it.
  if ! { is_stand_in "$SLIM_TAG" && build_full_from_slim; }; then
    log "$FULL_TAG: falling back to debootstrap"
    build_with_debootstrap "$FULL_TAG" "$SLIM_PACKAGES,$FULL_EXTRA_PACKAGES"
  fi
  sanity_check "$FULL_TAG"
}

# The stand-ins of one Debian suite: its tags carry the Python that Debian ships.
use_suite() {
  SUITE=$1
  case $SUITE in
    bookworm) SLIM_TAG=python:3.11-slim-bookworm FULL_TAG=python:3.11-bookworm ;;
    trixie) SLIM_TAG=python:3.13-slim-trixie FULL_TAG=python:3.13-trixie ;;
    *) die "no stand-in images for Debian $SUITE (bookworm or trixie)" ;;
  esac
}

# --- 3. Registry, buildx and compose, unpacked, never installed ------------

# Installing docker-registry would start a service on :5000 on every interface
# (with htpasswd auth that answers 401 to all); the tests start their own on
# 127.0.0.1 from the unpacked binary instead.
ensure_registry_binary() {
  local binary=$TESTBED_DIR/registry/usr/bin/docker-registry
  if [ -x "$binary" ]; then
    log "registry: present ($binary)"
    return 0
  fi
  make_temp_dir registry
  log "registry: apt-get download docker-registry (unpacked, not installed)"
  if ! (cd "$TEMP_DIR" && apt-get -o APT::Sandbox::User=root download -qq docker-registry) >"$TEMP_DIR.log" 2>&1; then
    tail -n 5 "$TEMP_DIR.log" >&2
    die "apt-get download docker-registry failed (run apt-get update?)"
  fi
  rm -f "$TEMP_DIR.log"
  mkdir -p "$TESTBED_DIR/registry"
  dpkg-deb -x "$TEMP_DIR"/docker-registry_*.deb "$TESTBED_DIR/registry"
  log "registry: unpacked $("$binary" --version 2>/dev/null | awk '{ print $NF }') into $TESTBED_DIR/registry"
}

# bookworm has no buildx and only Compose 1.29; trixie's docker-buildx and docker-compose
# (Compose v2, for `docker compose watch`) are static binaries. They come from the trixie
# suite of the same mirror, through a private apt list, so the host's own sources stay as
# they are, and go into the test bed's DOCKER_CONFIG, never onto the host's PATH.
ensure_trixie_plugins() {
  local plugins=$TESTBED_DIR/docker-config/cli-plugins package missing=()
  for package in "$@"; do
    if [ -x "$plugins/$package" ]; then
      log "$package: present ($plugins/$package)"
    else
      missing+=("$package")
    fi
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  local wanted=$SUITE apt_dir
  SUITE=trixie
  find_mirror
  SUITE=$wanted
  make_temp_dir plugins
  apt_dir=$TEMP_DIR
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/deb"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' \
    "$MIRROR" /usr/share/keyrings/debian-archive-keyring.gpg >"$apt_dir/trixie.sources"
  local apt_options=(-o "Dir::Etc::sourcelist=$apt_dir/trixie.sources" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$apt_dir/lists" -o APT::Sandbox::User=root)
  log "${missing[*]}: apt-get download from trixie (private list in $apt_dir)"
  if ! { apt-get "${apt_options[@]}" update -qq &&
    (cd "$apt_dir/deb" && apt-get "${apt_options[@]}" download -qq "${missing[@]}"); } >"$apt_dir.log" 2>&1; then
    tail -n 5 "$apt_dir.log" >&2
    die "could not download ${missing[*]} from $MIRROR trixie"
  fi
  rm -f "$apt_dir.log"
  mkdir -p "$plugins"
  for package in "${missing[@]}"; do
    dpkg-deb -x "$apt_dir"/deb/"${package}"_*.deb "$apt_dir/root"
    install -m 0755 "$apt_dir/root/usr/libexec/docker/cli-plugins/$package" "$plugins/$package"
    log "$package: $("$plugins/$package" version 2>/dev/null | head -n 1) in $plugins (DOCKER_CONFIG=$TESTBED_DIR/docker-config)"
  done
}

# --- 4. Podman, with the stand-ins in its store ----------------------------

PODMAN=${QUATRAIN_PODMAN:-podman}
CONTAINERS_CONF=/etc/containers/containers.conf

# Debian's podman runs no service at install (its podman.socket and
# podman-restart units need systemd, which this kind of machine does not run).
ensure_podman() {
  if ! command -v "$PODMAN" >/dev/null 2>&1; then
    apt_install podman
  fi
  log "podman: $("$PODMAN" version --format '{{ .Client.Version }}' 2>/dev/null || echo '?')"
}

# Podman as root raises a container's nofile and nproc limits to 1048576 and
# 4194304; a VM without CAP_SYS_RESOURCE refuses that ("error setting rlimit
# type 7: operation not permitted") and no container starts. Where a probe
# shows it, containers get this machine's hard nofile limit and the largest
# nproc limit, halving from this shell's, that lets one start (24090 on the
# project's VMs, whose shells have 96363 and runc is refused above ~32768).
ensure_podman_limits() {
  local probe nofile nproc
  probe=$("$PODMAN" run --rm --network none "$1" true 2>&1) && return 0
  case $probe in
    *"error setting rlimit"*) ;;
    *) die "podman cannot start a container from $1: $probe" ;;
  esac
  if [ -e "$CONTAINERS_CONF" ] && ! grep -q '^# Written by quatrain' "$CONTAINERS_CONF"; then
    die "podman cannot raise the containers' limits here ($probe), and $CONTAINERS_CONF is not ours: set default_ulimits (nofile, nproc) in its [containers] table"
  fi
  is_root || die "podman cannot raise the containers' limits here ($probe); as root, run this again"
  log "podman: $probe; containers get lower limits ($CONTAINERS_CONF)"
  mkdir -p "$(dirname "$CONTAINERS_CONF")"
  nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
  while [ "$nproc" -ge 1024 ]; do
    printf '# Written by quatrain scripts/testbed.sh: podman could not raise the limits\n[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
      "$nofile" "$nofile" "$nproc" "$nproc" >"$CONTAINERS_CONF"
    if "$PODMAN" run --rm --network none "$1" true >/dev/null 2>&1; then
      log "podman: containers start with nofile=$nofile nproc=$nproc"
      return 0
    fi
    nproc=$((nproc / 2))
  done
  die "podman still cannot start a container from $1 (see $CONTAINERS_CONF)"
}

# `docker save` of a short name loads as localhost/NAME; a pulled image is
# docker.io/library/NAME, which is what `FROM python:...` resolves to through
# the short-name alias in /etc/containers/registries.conf.d/shortnames.conf.
# With that name in the store, podman build uses it and never pulls.
copy_to_podman() {
  local tag=$1 qualified=docker.io/library/$1 wanted have
  wanted=$("$DOCKER" image inspect -f '{{ .Id }}' "$tag")
  have=$("$PODMAN" image inspect -f '{{ .Id }}' "$qualified" 2>/dev/null || true)
  if [ -n "$have" ] && [ "sha256:$have" = "$wanted" ]; then
    log "podman: $qualified present"
    return 0
  fi
  log "podman: docker save $tag | podman load"
  "$DOCKER" save "$tag" | "$PODMAN" load -q >/dev/null
  "$PODMAN" tag "localhost/$tag" "$qualified"
  "$PODMAN" untag "localhost/$tag" "localhost/$tag"
}

main() {
  take_lock
  ensure_engine
  local suite tag images=""
  for suite in $SUITES; do
    use_suite "$suite"
    ensure_slim
    ensure_full
    images="$images $SLIM_TAG $FULL_TAG"
  done
  ensure_registry_binary
  ensure_trixie_plugins docker-buildx docker-compose
  ensure_podman
  for tag in $images; do
    copy_to_podman "$tag"
  done
  tag=${images# }
  ensure_podman_limits "${tag%% *}"
  local version
  version=$("$DOCKER" version -f '{{ .Server.Version }}' 2>/dev/null || echo unknown)
  log "ready: engine $version, images$images (in Docker and Podman); registry, buildx and compose in $TESTBED_DIR"
  bash "$(dirname "$0")/testbed-arm64.sh"
}

main "$@"
