"""The daemonless build's pure parts: platforms, the choice of wheels, layers whose bytes follow
from their files alone, the OCI layout, what is read from a base image, and what is refused."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from quatrain.assembling import transport, venv
from quatrain.assembling.assemble import refusals
from quatrain.assembling.base import glibc_minor, python_version, read_files
from quatrain.assembling.layout import OCI_INDEX, Layout
from quatrain.assembling.platform import PLATFORMS, parse_platforms
from quatrain.assembling.tree import Entry, staged, with_parents, write_layer
from quatrain.detectors.servers import BROUGHT_GUNICORN, BROUGHT_GUNICORN_FOR_3_9
from quatrain.dockerfile.render import SETUPTOOLS
from quatrain.errors import ConfigurationError, ProjectError
from quatrain.pipeline import make_plan
from quatrain.reading.lock import LockedPackage
from quatrain.reading.wheels import Platform, best_wheel
from unit.conftest import flask_project

AMD64 = Platform(python="3.11.2", debian_release="bookworm", machine="x86_64", glibc_minor=36)
ARM64 = Platform(python="3.11.2", debian_release="bookworm", machine="aarch64", glibc_minor=36)
MARKUPSAFE = LockedPackage(
    name="markupsafe",
    version="3.0.4",
    groups=("main",),
    files=(
        "markupsafe-3.0.4-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
        "markupsafe-3.0.4-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        "markupsafe-3.0.4-cp311-cp311-musllinux_1_2_x86_64.whl",
        "markupsafe-3.0.4-cp312-cp312-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
        "markupsafe-3.0.4.tar.gz",
    ),
    hashes=("sha256:" + "a" * 64,),
)


def test_platforms_are_read_in_the_order_given_each_once_with_the_usual_aliases() -> None:
    found = parse_platforms("linux/arm64, linux/amd64,linux/aarch64")
    assert [p.name for p in found] == ["linux/arm64", "linux/amd64"]


def test_an_unknown_platform_is_a_configuration_error_naming_the_ones_there_are() -> None:
    with pytest.raises(ConfigurationError, match=r"linux/s390x.*linux/amd64, linux/arm64"):
        parse_platforms("linux/s390x")


def test_each_platform_takes_the_locked_wheel_built_for_its_machine_and_python() -> None:
    assert best_wheel(MARKUPSAFE, AMD64) == MARKUPSAFE.files[1]
    assert best_wheel(MARKUPSAFE, ARM64) == MARKUPSAFE.files[0]


def test_a_wheel_for_a_newer_glibc_than_the_image_has_is_not_taken() -> None:
    package = LockedPackage(
        name="fast", version="1", groups=("main",),
        files=("fast-1-cp311-cp311-manylinux_2_39_aarch64.whl",), hashes=("sha256:" + "b" * 64,),
    )  # fmt: skip
    assert best_wheel(package, ARM64) is None
    assert best_wheel(package, Platform(python="3.11", machine="aarch64", glibc_minor=41))


def test_a_package_without_a_wheel_for_a_platform_is_refused_by_name() -> None:
    x86_only = LockedPackage(
        name="orjson", version="3.10.0", groups=("main",),
        files=("orjson-3.10.0-cp311-cp311-manylinux_2_17_x86_64.whl", "orjson-3.10.0.tar.gz"),
        hashes=("sha256:" + "c" * 64,),
    )  # fmt: skip
    assert venv.choose([x86_only, MARKUPSAFE], AMD64, builds_with="use the Dockerfile")
    with pytest.raises(ProjectError) as raised:
        venv.choose([x86_only, MARKUPSAFE], ARM64, builds_with="use the Dockerfile")
    message = str(raised.value)
    assert "orjson 3.10.0" in message
    assert "markupsafe" not in message
    assert "linux/aarch64" in message
    assert "use the Dockerfile" in message


def test_a_locked_package_without_hashes_is_refused_since_every_file_is_checked() -> None:
    unhashed = LockedPackage(
        name="six", version="1.16.0", groups=("main",), files=("six-1.16.0-py2.py3-none-any.whl",)
    )  # fmt: skip
    with pytest.raises(ProjectError, match=r"six 1\.16\.0 \(no hash in the lock\)"):
        venv.choose([unhashed], AMD64, builds_with="")


def _stage(root: Path, umask: int, mtime: int) -> Path:
    old = os.umask(umask)
    try:
        (root / "pkg").mkdir(parents=True)
        (root / "pkg" / "mod.py").write_text("print('hi')\n")
        (root / "pkg" / "tool").write_text("#!/bin/sh\n")
        (root / "pkg" / "tool").chmod(0o777 & ~umask)
        (root / "pkg" / "link").symlink_to("mod.py")
    finally:
        os.umask(old)
    for path in (root / "pkg" / "mod.py", root / "pkg" / "tool", root / "pkg"):
        os.utime(path, (mtime, mtime))
    return root


def test_a_layer_is_the_same_bytes_whatever_the_umask_and_file_times_of_the_staged_files(
    tmp_path: Path,
) -> None:
    one = staged(_stage(tmp_path / "a", 0o022, 1_000_000), "/opt/x")
    other = staged(_stage(tmp_path / "b", 0o002, 2_000_000), "/opt/x")
    first = write_layer(one, directory=tmp_path / "blobs1", epoch=1_700_000_000)
    second = write_layer(other, directory=tmp_path / "blobs2", epoch=1_700_000_000)
    assert (first.digest, first.diff_id) == (second.digest, second.diff_id)
    assert first.blob.read_bytes()[4:8] == b"\0\0\0\0"  # gzip's MTIME field
    with tarfile.open(first.blob) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert list(members) == [
        "opt",
        "opt/x",
        "opt/x/pkg",
        "opt/x/pkg/link",
        "opt/x/pkg/mod.py",
        "opt/x/pkg/tool",
    ]
    assert {m.mtime for m in members.values()} == {1_700_000_000}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {(0, 0, "", "")}
    assert members["opt/x/pkg/mod.py"].mode == 0o644
    assert members["opt/x/pkg/tool"].mode == 0o755
    assert members["opt/x/pkg/link"].linkname == "mod.py"


def test_another_epoch_gives_another_layer(tmp_path: Path) -> None:
    entries = [Entry(path="/etc/x", kind="file", mode=0o644, data=b"x")]
    assert (
        write_layer(entries, directory=tmp_path, epoch=1).digest
        != write_layer(entries, directory=tmp_path, epoch=2).digest
    )


def test_parents_come_before_what_they_hold_and_an_owned_directory_keeps_its_owner() -> None:
    entries = with_parents(
        [
            Entry(path="/app/data", kind="dir", mode=0o775, uid=10001),
            Entry(path="/app", kind="dir", mode=0o1775, gid=10001),
            Entry(path="/app-other/f", kind="file", data=b""),
        ]
    )
    assert [e.path for e in entries] == ["/app", "/app/data", "/app-other", "/app-other/f"]
    assert (entries[0].mode, entries[0].gid) == (0o1775, 10001)


def test_the_layout_names_an_image_index_of_one_manifest_per_platform(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    config = layout.put_json({"architecture": "arm64"}, "application/vnd.oci.image.config.v1+json")
    manifest = layout.manifest(config, [], {})
    index = layout.image_index([(manifest, {"architecture": "arm64", "os": "linux"})])
    layout.tag("app:1", index)
    layout.tag("app:1", index)  # a second tag of the same name replaces the first
    assert layout.resolve("app:1") == index
    assert index.media_type == OCI_INDEX
    listed = json.loads((tmp_path / "index.json").read_text())["manifests"]
    assert len(listed) == 1
    body = layout.read_json(index.digest)
    assert body["manifests"][0]["platform"] == {"architecture": "arm64", "os": "linux"}


DPKG_STATUS = """Package: libc6
Status: install ok installed
Architecture: arm64
Version: 2.36-9+deb12u13
Description: GNU C Library
 a continuation line: Version: 9.99

Package: python3.11-minimal
Status: install ok installed
Version: 3.11.2-6+deb12u6
"""


def test_glibc_and_the_python_patch_release_are_read_from_dpkgs_status() -> None:
    assert glibc_minor(DPKG_STATUS) == 36
    assert python_version({}, DPKG_STATUS, "3.11") == "3.11.2"
    assert python_version({"PYTHON_VERSION": "3.11.9"}, DPKG_STATUS, "3.11") == "3.11.9"
    assert glibc_minor("") is None


def test_a_base_whose_python_is_not_the_chosen_one_is_refused() -> None:
    with pytest.raises(ProjectError, match=r"Python 3\.12\.1.*Python 3\.11"):
        python_version({"PYTHON_VERSION": "3.12.1"}, "", "3.11")


def _layer(layout: Layout, files: dict[str, bytes | None]) -> dict[str, str]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data or b"")
            tar.addfile(info, io.BytesIO(data or b""))
    blob = layout.put(gzip.compress(raw.getvalue()), "application/vnd.oci.image.layer.v1.tar+gzip")
    return {"digest": blob.digest}


def test_the_files_a_base_has_are_read_through_its_layers_with_whiteouts(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    layers = [
        _layer(layout, {"etc/passwd": b"root:x:0:0::/root:/bin/sh\n", "etc/shadow": b"old"}),
        _layer(layout, {"etc/.wh.shadow": None, "./etc/group": b"root:x:0:\n"}),
    ]
    found = read_files(layout, layers)
    assert set(found) == {"etc/passwd", "etc/group"}
    assert found["etc/group"].data == b"root:x:0:\n"


def test_what_production_runs_or_compiles_is_refused_by_the_daemonless_build(
    tmp_path: Path,
) -> None:
    project = flask_project(
        tmp_path, {"shop/__init__.py": "from flask import Flask\napp = Flask(__name__)\n"}
    )
    plan = make_plan(project, env={}, cli={"engine": "none", "apt_packages": "libpq5"})
    assert refusals(plan) == ["production installs Debian packages (libpq5)"]
    plain = make_plan(project, env={}, cli={"engine": "none"})
    assert refusals(plain) == []


def test_the_platforms_have_the_elf_machine_their_compiled_files_must_carry() -> None:
    assert {p.machine: p.elf_machine for p in PLATFORMS.values()} == {"x86_64": 62, "aarch64": 183}


@pytest.mark.parametrize(
    "pinned", [BROUGHT_GUNICORN, BROUGHT_GUNICORN_FOR_3_9, SETUPTOOLS], ids=lambda p: p.version
)
def test_what_quatrain_pins_beside_the_lock_has_its_wheel_named_for_every_platform(
    pinned: LockedPackage,
) -> None:
    python = "3.9" if pinned is BROUGHT_GUNICORN_FOR_3_9 else "3.12"
    for machine in ("x86_64", "aarch64"):
        platform = Platform(python=python, machine=machine, glibc_minor=36)
        assert venv.choose([pinned], platform, builds_with="")[0].wheel == pinned.files[0]


@pytest.mark.parametrize(
    ("written", "read_by_skopeo"),
    [
        ("python:3.12-slim-bookworm", "docker://python:3.12-slim-bookworm"),
        ("127.0.0.1:5000/python:3.12", "docker://127.0.0.1:5000/python:3.12"),
        ("docker-daemon:python:3.12", "docker-daemon:python:3.12"),
        ("containers-storage:python:3.12", "containers-storage:python:3.12"),
        ("oci:/srv/layout:3.12", "oci:/srv/layout:3.12"),
        ("oci:/srv/layout", "oci:/srv/layout"),
    ],
)
def test_where_a_base_image_is_read_from_is_named_as_skopeo_names_it(
    written: str, read_by_skopeo: str
) -> None:
    assert transport.source_name(written) == read_by_skopeo


def test_a_registry_reference_that_is_no_reference_is_refused_before_skopeo_runs() -> None:
    with pytest.raises(ConfigurationError, match="is not an image to read"):
        transport.source_name("--help")


def test_only_a_registry_on_loopback_is_reached_without_tls() -> None:
    assert transport.tls_flags("docker://127.0.0.1:5000/app:1", "dest") == [
        "--dest-tls-verify=false"
    ]
    assert transport.tls_flags("docker://registry.example.org/app:1", "dest") == []
    assert transport.tls_flags("oci:/srv/layout:1", "src") == []


def test_the_dockerfile_names_the_engines_image_or_the_default_for_a_layout() -> None:
    assert transport.as_reference("docker-daemon:python:3.12") == "python:3.12"
    assert transport.as_reference("oci:/srv/layout:3.12") is None
    assert transport.as_reference("python:3.12") == "python:3.12"
