#!/usr/bin/env bash
# An arm64 stand-in of python:3.11-slim-bookworm beside testbed.sh's amd64 one, as one
# multi-platform image index in an OCI layout, for quatrain's daemonless build to read:
#   bash scripts/testbed-arm64.sh  ->  oci:$QUATRAIN_TESTBED_DIR/oci/python:3.11-slim-bookworm
# This amd64 machine has no binfmt, so nothing arm64 runs while building: debootstrap's
# first stage (--foreign) and dpkg-deb only unpack bookworm's arm64 packages, and what
# their maintainer scripts would have made (passwd, dpkg's status, alternatives) is written
# here. umoci makes the layer deterministically (file times clamped to SOURCE_DATE_EPOCH,
# default the newest packaged file; sorted entries; owners as packaged). Idempotent: with
# the index there and its amd64 manifest holding Docker's current stand-in, a run takes a
# second. Environment: QUATRAIN_DOCKER, QUATRAIN_DEBIAN_MIRROR, QUATRAIN_TESTBED_DIR,
# QUATRAIN_TESTBED_SUITES as in testbed.sh; QUATRAIN_OCI_LAYOUT, the layout directory.
set -euo pipefail

DOCKER=${QUATRAIN_DOCKER:-/usr/bin/docker}
TESTBED_DIR=${QUATRAIN_TESTBED_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quatrain-testbed}
LAYOUT=${QUATRAIN_OCI_LAYOUT:-$TESTBED_DIR/oci/python}
REF=3.11-slim-bookworm
AMD64_TAG=python:$REF
SUITE=bookworm
PACKAGES=python3,python3-venv,ca-certificates
HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
# The Env and labels of testbed.sh's import_rootfs, the source naming the architecture.
IMAGE_ENV=(PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
  "SSL_CERT_FILE=$HOST_CA_BUNDLE" "REQUESTS_CA_BUNDLE=$HOST_CA_BUNDLE" "PIP_CERT=$HOST_CA_BUNDLE")
IMAGE_LABELS=(org.quatrain.stand-in=true org.quatrain.stand-in.source=debian-bookworm-arm64)

TEMP_DIRS=() TEMP_DIR='' MIRROR='' EPOCH='' GLIBC=''

log() { printf 'testbed-arm64: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The mirror look-up (with its refusal of private networks) and remove_tree are
# testbed.sh's own, read from it rather than copied; testbed.sh itself is not run.
TESTBED_SH=$(dirname "${BASH_SOURCE[0]}")/testbed.sh
for fn in mirror_from_deb822 mirror_from_list is_private_ipv4 check_mirror_address find_mirror remove_tree; do
  eval "$(sed -n "/^$fn() {\$/,/^}\$/p" "$TESTBED_SH")"
  declare -F "$fn" >/dev/null || die "$TESTBED_SH has no function $fn"
done

cleanup() { local dir; for dir in "${TEMP_DIRS[@]}"; do remove_tree "$dir"; done; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM # bash runs no EXIT trap when a signal it does not trap kills it

make_temp_dir() {
  TEMP_DIR=$(mktemp -d "${2:-/var/tmp}/quatrain-$1.XXXXXX")
  TEMP_DIRS+=("$TEMP_DIR")
}

take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 8>"${TMPDIR:-/tmp}/quatrain-testbed-arm64.$(id -u).lock"
  flock -n 8 || { log "another run holds the lock; waiting for it"; flock 8; }
}

# qemu-user without its recommended qemu-user-binfmt: qemu-aarch64 -L ROOTFS runs one
# arm64 process and registers nothing with the kernel. faketime: the daemonless tests build
# once more under another clock.
ensure_tools() {
  local tool missing=()
  for tool in skopeo umoci debootstrap qemu-aarch64:qemu-user faketime; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  log "apt-get update; installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Prints "ok" when LAYOUT has REF as an index of an amd64 and an arm64 manifest whose
# blobs are all there and the amd64 one has the layers (diff_ids) given as arguments.
layout_state() {
  python3 - "$LAYOUT" "$REF" "$@" <<'EOF'
import json, os, sys
layout, ref, diff_ids = sys.argv[1], sys.argv[2], sys.argv[3:]
def load(d): return json.load(open(os.path.join(layout, "blobs", *d.split(":"))))
try:
    top = [m for m in json.load(open(os.path.join(layout, "index.json")))["manifests"]
           if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref][0]
    assert top["mediaType"] == "application/vnd.oci.image.index.v1+json"
    configs = {}
    for desc in load(top["digest"])["manifests"]:
        manifest = load(desc["digest"])
        for layer in manifest["layers"]:
            assert os.path.isfile(os.path.join(layout, "blobs", *layer["digest"].split(":")))
        configs[desc["platform"]["architecture"]] = load(manifest["config"]["digest"])
    assert sorted(configs) == ["amd64", "arm64"]
    print("ok" if configs["amd64"]["rootfs"]["diff_ids"] == diff_ids else "stale")
except (OSError, ValueError, LookupError, AssertionError):
    print("missing")
EOF
}

# debootstrap --foreign unpacks only what its second stage needs; the rest is unpacked
# here (keeping the merged-/usr links), and dpkg's status made from the control files.
make_arm64_rootfs() {
  local rootfs=$1 package deb required
  log "debootstrap --foreign --arch=arm64 $SUITE with $PACKAGES (half a minute; log in $rootfs.log)"
  debootstrap --foreign --arch=arm64 --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" \
    >"$rootfs.log" 2>&1 || die "debootstrap failed: $(tail -n 20 "$rootfs.log")"
  rm -f "$rootfs.log"
  required=" $(tr -s '\n' ' ' <"$rootfs/debootstrap/required") "
  sort "$rootfs/debootstrap/debpaths" | while read -r package deb; do
    if [[ $required != *" $package "* ]]; then
      dpkg-deb --fsys-tarfile "$rootfs$deb" | tar -C "$rootfs" --keep-directory-symlink -xf -
    fi
    printf 'Package: %s\nStatus: install ok installed\n' "$package"
    dpkg-deb -f "$rootfs$deb" | grep -v '^Package:'
    echo
  done >"$rootfs/var/lib/dpkg/status"
}

# What the packages' maintainer scripts and the official image would have made.
configure_arm64_rootfs() {
  local rootfs=${1:?} days name link
  days=$((EPOCH / 86400))
  cp "$rootfs/usr/share/base-passwd/passwd.master" "$rootfs/etc/passwd"
  cp "$rootfs/usr/share/base-passwd/group.master" "$rootfs/etc/group"
  awk -F: -v d="$days" '{ print $1 ":*:" d ":0:99999:7:::" }' "$rootfs/etc/passwd" >"$rootfs/etc/shadow"
  awk -F: '{ print $1 ":*::" }' "$rootfs/etc/group" >"$rootfs/etc/gshadow"
  chmod 0640 "$rootfs/etc/shadow" "$rootfs/etc/gshadow"
  chgrp 42 "$rootfs/etc/shadow" "$rootfs/etc/gshadow" # shadow in group.master
  [ -L "$rootfs/usr/bin/sh" ] || ln -s dash "$rootfs/usr/bin/sh"
  for link in awk:/usr/bin/mawk nawk:/usr/bin/mawk which:/usr/bin/which.debianutils pager:/usr/bin/more; do
    name=${link%%:*}
    [ -e "$rootfs${link#*:}" ] || continue
    ln -sfn "${link#*:}" "$rootfs/etc/alternatives/$name"
    ln -sfn "/etc/alternatives/$name" "$rootfs/usr/bin/$name"
  done
  ln -sfn /usr/share/zoneinfo/Etc/UTC "$rootfs/etc/localtime"
  echo Etc/UTC >"$rootfs/etc/timezone"
  # As testbed.sh's configure_rootfs: python on PATH, no PEP 668 marker, the host's CA
  # bundle (an intercepting proxy's CA), apt pointed at the same mirror. No pip here
  # (not in the package list); python -m venv gives one.
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/share/ca-certificates"
  for name in python python3; do ln -sfn /usr/bin/python3 "$rootfs/usr/local/bin/$name"; done
  find "$rootfs"/usr/lib/python3* -maxdepth 1 -name EXTERNALLY-MANAGED -delete
  if [ -r "$HOST_CA_BUNDLE" ]; then
    cp "$HOST_CA_BUNDLE" "$rootfs/etc/ssl/certs/ca-certificates.crt"
    cp "$HOST_CA_BUNDLE" "$rootfs/usr/local/share/ca-certificates/quatrain-host-bundle.crt"
  fi
  rm -f "$rootfs/etc/apt/sources.list.d/debian.sources"
  printf 'deb %s %s main\n' "$MIRROR" "$SUITE" >"$rootfs/etc/apt/sources.list"
  # debootstrap's leftovers and the build host's files; the runtime provides /dev.
  rm -rf "$rootfs/debootstrap" "$rootfs"/var/cache/apt/archives/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/log/bootstrap.log "${rootfs:?}"/dev/* "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"
  mkdir -p "$rootfs/var/cache/apt/archives/partial" "$rootfs/var/lib/apt/lists/partial"
}

# Read, never run: the files quatrain and the image's users rely on.
check_arm64_rootfs() {
  local rootfs=$1 path
  readelf -h "$rootfs/usr/bin/python3.11" | grep -q 'Machine:.*AArch64' || die "usr/bin/python3.11 is not AArch64"
  for path in usr/lib/python3.11/os.py usr/lib/python3.11/venv/__init__.py lib/ld-linux-aarch64.so.1 bin/sh etc/passwd; do
    [ -e "$rootfs/$path" ] || die "arm64 rootfs: $path is missing"
  done
  GLIBC=$(awk '/^Package: / { p = $2 } p == "libc6" && /^Version: / { print $2; exit }' "$rootfs/var/lib/dpkg/status")
  [ -n "$GLIBC" ] || die "arm64 rootfs: no libc6 in /var/lib/dpkg/status"
}

build_arm64_image() {
  local oci=$1 bundle=$1/bundle umoci_log=$1/umoci.log rootfs created
  { umoci init --layout "$oci/layout" && umoci new --image "$oci/layout:arm64" &&
    umoci unpack --image "$oci/layout:arm64" "$bundle"; } 2>"$umoci_log" || die "umoci: $(tail -n 3 "$umoci_log")"
  rootfs=$bundle/rootfs
  chmod 0755 "$rootfs"
  make_arm64_rootfs "$rootfs"
  EPOCH=${SOURCE_DATE_EPOCH:-$(find "$rootfs/usr" -type f -printf '%T@\n' | sort -n | tail -n 1)}
  EPOCH=${EPOCH%.*}
  configure_arm64_rootfs "$rootfs"
  check_arm64_rootfs "$rootfs"
  find "$rootfs" -exec touch -h -d "@$EPOCH" {} +
  created=$(date -u -d "@$EPOCH" +%Y-%m-%dT%H:%M:%SZ)
  log "arm64: umoci repack (glibc $GLIBC, file times $created)"
  local config=(--architecture arm64 --os linux --created "$created" --config.cmd python3) item
  for item in "${IMAGE_ENV[@]}"; do config+=(--config.env "$item"); done
  for item in "${IMAGE_LABELS[@]}"; do config+=(--config.label "$item"); done
  if ! { umoci repack --image "$oci/layout:arm64" --history.created "$created" \
    --history.created_by "scripts/testbed-arm64.sh: debootstrap --foreign --arch=arm64 $SUITE $PACKAGES" "$bundle" &&
    umoci config --image "$oci/layout:arm64" --no-history "${config[@]}" &&
    umoci gc --layout "$oci/layout"; } 2>>"$umoci_log"; then
    die "umoci: $(tail -n 3 "$umoci_log")"
  fi
  remove_tree "$bundle"
}

# The amd64 manifest from Docker, the arm64 one from umoci, and an index of the two as REF.
compose_layout() {
  local oci=$1 new
  mkdir -p "$(dirname "$LAYOUT")"
  make_temp_dir layout "$(dirname "$LAYOUT")"
  new=$TEMP_DIR
  chmod 0755 "$new"
  log "amd64: skopeo copy docker-daemon:$AMD64_TAG"
  skopeo copy -q "docker-daemon:$AMD64_TAG" "oci:$new:amd64"
  cp -n "$oci"/layout/blobs/sha256/* "$new/blobs/sha256/"
  chmod -R a+rX "$new" # umoci writes its blobs 0600
  python3 - "$new" "$oci/layout" "$REF" <<'EOF'
import hashlib, json, sys
new, arm64, ref = sys.argv[1:]
INDEX = "application/vnd.oci.image.index.v1+json"
def named(layout, name):
    return [m for m in json.load(open(layout + "/index.json"))["manifests"]
            if m["annotations"]["org.opencontainers.image.ref.name"] == name][0]
manifests = [dict(mediaType=d["mediaType"], digest=d["digest"], size=d["size"],
                  platform={"architecture": arch, "os": "linux"})
             for d, arch in ((named(new, "amd64"), "amd64"), (named(arm64, "arm64"), "arm64"))]
blob = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests},
                  separators=(",", ":")).encode()
digest = hashlib.sha256(blob).hexdigest()
open(f"{new}/blobs/sha256/{digest}", "wb").write(blob)
top = {"mediaType": INDEX, "digest": "sha256:" + digest, "size": len(blob),
       "annotations": {"org.opencontainers.image.ref.name": ref}}
json.dump({"schemaVersion": 2, "manifests": [top]}, open(new + "/index.json", "w"))
EOF
  check_layout "$new"
  remove_tree "$LAYOUT"
  mv "$new" "$LAYOUT"
}

# The index as skopeo reads it, and (if qemu-aarch64 is there) one arm64 process under
# user-mode qemu, from the image's own layer: no binfmt needed.
check_layout() {
  local image="oci:$1:$REF" out digest
  [[ $(skopeo inspect --raw "$image") == *'"mediaType":"application/vnd.oci.image.index.v1+json"'* ]] ||
    die "$image is not an image index"
  out=$(skopeo inspect --override-arch arm64 --format '{{ .Architecture }} {{ index .Layers 0 }}' "$image")
  [[ $out == "arm64 sha256:"* ]] || die "$image has no arm64 image ($out)"
  digest=${out#arm64 sha256:}
  if ! command -v qemu-aarch64 >/dev/null 2>&1; then
    log "arm64: qemu-aarch64 is missing; not running its python"
    return 0
  fi
  make_temp_dir rootfs-check
  tar -C "$TEMP_DIR" -xzf "$1/blobs/sha256/$digest" bin lib usr/bin usr/lib etc
  out=$(qemu-aarch64 -L "$TEMP_DIR" "$TEMP_DIR/usr/bin/python3.11" -c \
    'import platform, sys, ssl, venv; print(platform.machine(), sys.version.split()[0])') ||
    die "arm64: python3.11 does not run under qemu-aarch64"
  [[ $out == "aarch64 "* ]] || die "arm64: python under qemu-aarch64 says $out"
  log "arm64: qemu-aarch64 runs its python: $out"
  remove_tree "$TEMP_DIR"
}

main() {
  case " ${QUATRAIN_TESTBED_SUITES:-bookworm} " in
    *" bookworm "*) ;;
    *) log "no bookworm in QUATRAIN_TESTBED_SUITES: no $AMD64_TAG to pair with; nothing to do"; return 0 ;;
  esac
  take_lock
  ensure_tools
  local diff_ids state
  diff_ids=$("$DOCKER" image inspect -f '{{ range .RootFS.Layers }}{{ . }} {{ end }}' "$AMD64_TAG" 2>/dev/null) ||
    die "$AMD64_TAG is not in Docker ($DOCKER): run scripts/testbed.sh first"
  # A pulled (real) image is not paired with a Debian-made arm64 one: where the registry
  # is reachable, the real multi-platform index is there to read.
  if [ "$("$DOCKER" image inspect -f '{{ index .Config.Labels "org.quatrain.stand-in" }}' "$AMD64_TAG")" != true ]; then
    log "$AMD64_TAG is the real image, not a stand-in: read docker://$AMD64_TAG; nothing to do"
    return 0
  fi
  # shellcheck disable=SC2086 # one argument per layer
  state=$(layout_state $diff_ids)
  if [ "$state" = ok ]; then
    log "oci:$LAYOUT:$REF: present (amd64 and arm64)"
    return 0
  fi
  log "oci:$LAYOUT:$REF: $state; building (about a minute)"
  [ "$(id -u)" -eq 0 ] || die "building the arm64 rootfs needs root (debootstrap)"
  find_mirror
  make_temp_dir arm64
  local oci=$TEMP_DIR
  build_arm64_image "$oci"
  compose_layout "$oci"
  log "ready: oci:$LAYOUT:$REF (linux/amd64, linux/arm64; arm64 glibc $GLIBC)"
}

main "$@"
