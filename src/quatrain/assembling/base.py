"""The base image of the production image: copied into the build's layout by skopeo for one
platform, then read: its config (extended, never rewritten), and the few files the production
image changes or needs to know (the user tables, dpkg's status for glibc and Python, where
`python3` is)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from quatrain.assembling import transport
from quatrain.assembling.layout import OCI_INDEX, Layout
from quatrain.assembling.platform import TargetPlatform
from quatrain.errors import ProjectError

# What `useradd --create-home` copies into the new home from Debian's /etc/skel.
SKEL = (".bash_logout", ".bashrc", ".profile")
# Files of the base that the production image extends (the user tables) or reads.
READ = (
    "etc/passwd", "etc/group", "etc/shadow", "etc/gshadow", "var/lib/dpkg/status",
    *(f"etc/skel/{name}" for name in SKEL),
)  # fmt: skip
PYTHON_HOME = "/usr/local/bin"  # where the official images keep python3 (and the stand-ins)
PYTHON3 = f"{PYTHON_HOME}/python3"  # what the venv's python points at


@dataclass(frozen=True, kw_only=True)
class File:
    data: bytes
    mode: int
    uid: int
    gid: int


@dataclass(frozen=True, kw_only=True)
class BaseImage:
    reference: str  # as the user named it
    manifest_digest: str  # of this platform's manifest, as copied into the layout
    config: Mapping[str, Any]
    layers: tuple[Mapping[str, Any], ...]  # the manifest's layer descriptors
    files: Mapping[str, File] = field(default_factory=dict)  # of READ, those it has
    python: str  # X.Y.Z when the image says, else X.Y
    glibc_minor: int | None

    @property
    def env(self) -> dict[str, str]:
        return env_of(self.config)


def fetch(reference: str, platform: TargetPlatform, layout: Layout, *, python: str,
          env: Mapping[str, str], cache: Path) -> BaseImage:  # fmt: skip
    """Copy the base for `platform` into the layout (skopeo fetches only blobs it lacks) and
    read it. `python` is the X.Y the plan chose: the image must have it."""
    ref = f"base-{platform.architecture}"
    transport.copy(
        transport.source_name(reference), f"oci:{layout.root}:{ref}", env=env,
        architecture=platform.architecture, what=f"the base image {reference}",
    )  # fmt: skip
    descriptor = layout.resolve(ref)
    manifest = layout.read_json(descriptor.digest)
    if descriptor.media_type == OCI_INDEX:  # skopeo keeps an index when asked for one
        msg = f"{reference} gave an image index for {platform.name}, not one image."
        raise ProjectError(msg)
    config = layout.read_json(manifest["config"]["digest"])
    found_architecture = config.get("architecture")
    if found_architecture != platform.architecture:
        msg = (
            f"The base image {reference} is for {config.get('os')}/{found_architecture}, not "
            f"{platform.name}: the registry or layout has no {platform.name} image of it."
        )
        raise ProjectError(msg)
    # By the image's digest and by what is read of it: a new READ reads the image anew.
    wanted = hashlib.sha256(repr((READ, PYTHON3)).encode()).hexdigest()[:12]
    kept = cache / "bases" / f"{descriptor.digest.removeprefix('sha256:')}-{wanted}.json"
    files = _cached_files(kept)
    if files is None:
        files = read_files(layout, manifest["layers"])
        _keep_files(kept, files)
    if PYTHON3[1:] not in files:
        msg = (
            f"The base image {reference} has no {PYTHON3}, where the official python images "
            "keep their Python: give an official python image (or one made from it) as "
            "runtime-image."
        )
        raise ProjectError(msg)
    status = (
        files["var/lib/dpkg/status"].data.decode("utf-8", "replace")
        if "var/lib/dpkg/status" in files
        else ""
    )
    return BaseImage(
        reference=reference,
        manifest_digest=descriptor.digest,
        config=config,
        layers=tuple(manifest["layers"]),
        files=files,
        python=python_version(env_of(config), status, python),
        glibc_minor=glibc_minor(status),
    )


def env_of(config: Mapping[str, Any]) -> dict[str, str]:
    """An image config's Env, KEY=VALUE lines, as a mapping."""
    pairs = (e.partition("=") for e in config.get("config", {}).get("Env") or [])
    return {k: v for k, _, v in pairs}


def read_files(layout: Layout, layers: Sequence[Mapping[str, Any]]) -> dict[str, File]:
    """The files of READ as the image has them: each layer in order, whiteouts applied."""
    found: dict[str, File] = {}
    for layer in layers:
        with tarfile.open(layout.blob_path(layer["digest"]), mode="r:*") as tar:
            for member in tar:
                path = str(PurePosixPath(member.name.lstrip("./") or "."))
                name = PurePosixPath(path).name
                if name.startswith(".wh."):
                    gone = str(PurePosixPath(path).parent / name.removeprefix(".wh."))
                    found = {
                        k: v for k, v in found.items() if k != gone and not k.startswith(gone + "/")
                    }
                    continue
                if path == PYTHON3[1:]:
                    found[path] = File(data=b"", mode=member.mode, uid=member.uid, gid=member.gid)
                elif path in READ and member.isfile():
                    data = tar.extractfile(member)
                    assert data is not None
                    found[path] = File(
                        data=data.read(), mode=member.mode, uid=member.uid, gid=member.gid
                    )
    return found


def _cached_files(path: Path) -> dict[str, File] | None:
    """The files read from a base before, by its manifest's digest (reading every layer of an
    image takes seconds; its digest names its content)."""
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return {
        name: File(data=base64.b64decode(f["data"]), mode=f["mode"], uid=f["uid"], gid=f["gid"])
        for name, f in kept.items()
    }


def _keep_files(path: Path, files: Mapping[str, File]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = {
        name: {
            "data": base64.b64encode(f.data).decode(),
            "mode": f.mode,
            "uid": f.uid,
            "gid": f.gid,
        }
        for name, f in files.items()
    }
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(kept))
    partial.replace(path)


def python_version(image_env: Mapping[str, str], dpkg_status: str, wanted: str) -> str:
    """The base's Python to its patch release: the official images say it in PYTHON_VERSION,
    Debian's python3.X-minimal in dpkg's status; else the X.Y the plan chose."""
    minor = ".".join(wanted.split(".")[:2])
    said = image_env.get("PYTHON_VERSION", "")
    if said:
        if not said.startswith(minor + "."):
            msg = (
                f"The base image has Python {said}, and the project's image is for Python {minor}."
            )
            raise ProjectError(msg)
        return said
    version = _dpkg_version(dpkg_status, f"python{minor}-minimal")
    match = re.match(r"(\d+\.\d+\.\d+)", version or "")
    return match[1] if match else minor


def glibc_minor(dpkg_status: str) -> int | None:
    """N of glibc 2.N, from libc6's version in dpkg's status: manylinux_2_N wheels fit."""
    match = re.match(r"2\.(\d+)", _dpkg_version(dpkg_status, "libc6") or "")
    return int(match[1]) if match else None


def _dpkg_version(status: str, package: str) -> str | None:
    for stanza in status.split("\n\n"):
        fields = dict(
            (line.partition(":")[0], line.partition(":")[2].strip())
            for line in stanza.splitlines()
            if line and not line[0].isspace()
        )
        if fields.get("Package") == package:
            return fields.get("Version")
    return None
