"""`quatrain build --engine none`: the production image assembled from the lock with no engine.

The builds here run with no daemon to talk to (DOCKER_HOST and CONTAINER_HOST lead nowhere, and
a `docker` and a `podman` first on PATH record any call): the base image is read from the test
bed's OCI layout (scripts/testbed-arm64.sh: the amd64 stand-in and an arm64 one made from
Debian's arm64 packages, one image index). Only the last tests load the image into an engine,
to run it and pass `quatrain verify`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import shipping
from engine_support import Quatrain, locked_copy
from shipping import start_registry

from quatrain.assembling.platform import PLATFORMS

BASE_LAYOUT = shipping.testbed_dir() / "oci" / "python"
BASE = f"oci:{BASE_LAYOUT}:3.11-slim-bookworm"
ELF_MAGIC = b"\x7fELF"


@pytest.fixture(scope="module")
def base_layout() -> Path:
    if not (BASE_LAYOUT / "index.json").is_file():
        pytest.fail(f"{BASE_LAYOUT} is missing: run scripts/testbed.sh (its arm64 step)")
    return BASE_LAYOUT


@pytest.fixture
def no_daemon(tmp_path: Path) -> dict[str, str]:
    """An environment in which any engine call would be seen: a `docker` and a `podman` that
    write down that they ran and fail, first on PATH; engine sockets that lead nowhere."""
    bin_dir = tmp_path / "no-engine-bin"
    bin_dir.mkdir()
    for name in ("docker", "podman"):
        tool = bin_dir / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/engine-calls"\nexit 1\n')
        tool.chmod(0o755)
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock",
        "CONTAINER_HOST": f"unix://{tmp_path}/no-podman.sock",
        "QUATRAIN_DOCKER": str(bin_dir / "docker"),
    }


def engine_calls(environment: Mapping[str, str]) -> str:
    calls = Path(environment["PATH"].split(":")[0]).parent / "engine-calls"
    return calls.read_text() if calls.exists() else ""


def committed(project: Path, *, when: int = 1_750_000_000) -> Path:
    """The project as a git checkout, committed at a fixed time (its SOURCE_DATE_EPOCH)."""
    git = ["git", "-C", str(project), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    stamp = {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    if not (project / ".git").exists():
        subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run(
        [*git, "commit", "-qm", "a commit", "--allow-empty"],
        check=True,
        env={**os.environ, **stamp},
    )
    return project


def assemble(
    project: Path,
    home: Path,
    *args: str,
    env: Mapping[str, str],
    umask: int = 0o022,
    wrapper: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """`quatrain build --engine none` with a home, caches and working directory of its own."""
    home.mkdir(parents=True, exist_ok=True)
    isolated = {
        **os.environ,
        "QUATRAIN_PYTHON_VERSION": "3.11",
        "QUATRAIN_DEBIAN_RELEASE": "bookworm",
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PIP_CACHE_DIR": str(home / "pip"),
        **env,
    }
    return subprocess.run(
        [*wrapper, sys.executable, "-m", "quatrain", "build", "--engine", "none",
         "--runtime-image", BASE,
         *args, str(project)],
        env=isolated, cwd=home, capture_output=True, text=True, check=False,
        preexec_fn=lambda: os.umask(umask),
    )  # fmt: skip


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    if result.returncode != 0:
        pytest.fail(f"quatrain exited {result.returncode}\n{result.stderr[-6000:]}")
    return result.stderr


def digest_of(stderr: str) -> str:
    found = re.search(r"^Assembled \S+ \((sha256:[0-9a-f]{64})\)", stderr, re.M)
    assert found, stderr[-3000:]
    return found[1]


@pytest.fixture(scope="module")
def flask_project(tmp_path_factory: pytest.TempPathFactory, index_url: str) -> Path:
    return committed(locked_copy("flask-factory", tmp_path_factory.mktemp("daemonless"), index_url))


def test_two_builds_in_separate_homes_umasks_directories_and_clocks_give_one_digest_with_no_daemon(
    flask_project: Path, base_layout: Path, tmp_path: Path, no_daemon: dict[str, str]
) -> None:
    del base_layout
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.fail("faketime is missing: scripts/testbed.sh installs it (Debian's faketime)")
    first = succeeded(assemble(flask_project, tmp_path / "one", env=no_daemon, umask=0o022))
    # Five years on by the clock the second build's Python reads (libfaketime's preload).
    second = succeeded(
        assemble(
            flask_project, tmp_path / "two", env=no_daemon, umask=0o007,
            wrapper=(faketime, "2031-05-01 12:00:00"),
        )
    )  # fmt: skip
    assert digest_of(first) == digest_of(second)
    assert engine_calls(no_daemon) == ""


def _layers(layout: Path, manifest_digest: str) -> list[Path]:
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / manifest_digest.removeprefix("sha256:")).read_text())
    return [blobs / layer["digest"].removeprefix("sha256:") for layer in manifest["layers"]]


def _index(layout: Path, ref: str) -> dict[str, Any]:
    top = json.loads((layout / "index.json").read_text())
    entry = next(
        m for m in top["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref
    )  # fmt: skip
    body: dict[str, Any] = json.loads(
        (layout / "blobs" / "sha256" / entry["digest"].removeprefix("sha256:")).read_text()
    )
    return body


def _elf_machines_and_tags(layer: Path) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Of one layer: each ELF file's e_machine, and each installed wheel's WHEEL tags."""
    machines, tags = {}, {}
    with tarfile.open(layer) as tar:
        for member in tar:
            if not member.isfile():
                continue
            data = tar.extractfile(member)
            assert data is not None
            head = data.read(20)
            if head[:4] == ELF_MAGIC:
                machines[member.name] = int.from_bytes(head[18:20], "little")
            elif member.name.endswith(".dist-info/WHEEL"):
                text = (head + data.read()).decode()
                tags[member.name] = {
                    line.split(":", 1)[1].strip()
                    for line in text.splitlines()
                    if line.startswith("Tag:")
                }
    return machines, tags


@pytest.fixture(scope="module")
def multi_platform(
    flask_project: Path, base_layout: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    del base_layout
    home = tmp_path_factory.mktemp("multi")
    output = home / "layout"
    succeeded(
        assemble(
            flask_project, home, "--platform", "linux/amd64,linux/arm64", "--output",
            f"oci:{output}", "--tag", "flask-factory:multi", env={},
        )
    )  # fmt: skip
    return output, _index(output, "flask-factory:multi")


def test_every_platform_has_its_image_in_one_index_and_every_compiled_file_is_built_for_it(
    multi_platform: tuple[Path, dict[str, Any]],
) -> None:
    output, index = multi_platform
    platforms = {m["platform"]["architecture"]: m["digest"] for m in index["manifests"]}
    assert sorted(platforms) == ["amd64", "arm64"]
    for architecture, digest in platforms.items():
        target = PLATFORMS[f"linux/{architecture}"]
        dependencies = _layers(output, digest)[-2]  # user, dependencies, project: ours are last
        machines, tags = _elf_machines_and_tags(dependencies)
        assert any("markupsafe" in name for name in machines), machines  # compiled code is there
        assert set(machines.values()) == {target.elf_machine}, (architecture, machines)
        wheel_platforms = {tag.split("-")[2] for found in tags.values() for tag in found}
        assert wheel_platforms - {"any"}, tags
        assert all(p == "any" or p.endswith(target.machine) for p in wheel_platforms), tags


def _unpack(layers: list[Path], root: Path) -> None:
    """The image's filesystem, layer over layer (whiteouts: these layers have none)."""
    for layer in layers:
        with tarfile.open(layer) as tar:
            tar.extractall(root, filter="tar")


def test_the_arm64_image_imports_its_compiled_dependencies_under_qemu_user(
    multi_platform: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """qemu-aarch64 runs one arm64 process on this amd64 machine, no binfmt needed: the image's
    own Python, with the venv's site-packages, imports markupsafe's compiled module and Flask."""
    qemu = shutil.which("qemu-aarch64")
    if qemu is None:
        pytest.fail("qemu-aarch64 is missing: scripts/testbed.sh installs qemu-user")
    output, index = multi_platform
    arm64 = next(
        m["digest"] for m in index["manifests"] if m["platform"]["architecture"] == "arm64"
    )
    root = tmp_path / "rootfs"
    _unpack(_layers(output, arm64), root)
    site = root / "opt/venv/lib/python3.11/site-packages"
    script = (
        f"import sys, platform; sys.path.insert(0, {str(site)!r}); "
        "import markupsafe._speedups, flask; print(platform.machine(), flask.__name__)"
    )
    ran = subprocess.run(
        [qemu, "-L", str(root), str(root / "usr/bin/python3.11"), "-c", script],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["aarch64", "flask"]


def test_a_package_without_an_arm64_wheel_in_the_lock_is_refused_by_name(
    flask_project: Path, base_layout: Path, tmp_path: Path, no_daemon: dict[str, str]
) -> None:
    del base_layout
    project = tmp_path / "x86-only"
    shutil.copytree(flask_project, project)
    lock = project / "poetry.lock"
    lock.write_text(
        "".join(line for line in lock.read_text().splitlines(True) if "_aarch64" not in line)
    )
    result = assemble(project, tmp_path / "home", "--platform", "linux/arm64", env=no_daemon)
    assert result.returncode == 3, result.stderr[-3000:]
    assert "No locked wheel for CPython 3.11" in result.stderr
    assert "linux/aarch64 of: markupsafe 3.0.4" in result.stderr
    assert "--engine docker or podman" in result.stderr
    assert engine_calls(no_daemon) == ""


@pytest.fixture
def logged_registry(tmp_path: Path) -> Iterator[Any]:
    (tmp_path / "registry").mkdir()
    yield from start_registry(tmp_path / "registry", access_log=True)


def _uploads(registry: Any) -> int:
    """Blobs the registry took in (each ends with one PUT of its upload)."""
    log = (registry.root / "registry.log").read_text()
    return len(re.findall(r'"PUT /v2/[^ ]+/blobs/uploads/', log))


def test_pushing_a_code_edit_uploads_the_project_layer_the_config_and_the_sbom_alone(
    flask_project: Path, base_layout: Path, tmp_path: Path, logged_registry: Any,
    no_daemon: dict[str, str],
) -> None:  # fmt: skip
    del base_layout
    project = tmp_path / "edited"
    shutil.copytree(flask_project, project, symlinks=True)
    tag = f"{logged_registry.host}/factory"
    home = tmp_path / "home"
    succeeded(assemble(project, home, "--push", "--tag", f"{tag}:1", env=no_daemon))
    first = _uploads(logged_registry)
    module = next((project / "src").glob("*/__init__.py"))
    module.write_text(module.read_text() + "\n# an edit\n")
    committed(project, when=1_760_000_000)
    pushed = digest_of(
        succeeded(assemble(project, home, "--push", "--tag", f"{tag}:2", env=no_daemon))
    )
    assert first >= 4  # the base's layers and ours, the config
    # the project's layer and the config, then the new SBOM attached (the artifact's empty
    # config blob is there since the first push)
    assert _uploads(logged_registry) - first == 2 + 1
    assert engine_calls(no_daemon) == ""
    # Distribution 2.8 has no referrers API: the SBOM is found by the fallback tag.
    tags_url = f"http://{logged_registry.host}/v2/factory/tags/list"
    with urllib.request.urlopen(tags_url, timeout=10) as answer:
        tags = json.load(answer)["tags"]
    assert "sha256-" + pushed.removeprefix("sha256:") in tags


@pytest.mark.parametrize("engine_name", ["docker", "podman"])
def test_the_assembled_image_loaded_into_an_engine_passes_verify(
    quatrain: Quatrain, flask_project: Path, base_layout: Path, engine_name: str
) -> None:
    del base_layout
    result = quatrain(
        "verify", "--engine", "none", "--load", engine_name, "--runtime-image", BASE,
        str(flask_project),
        extra_env={"QUATRAIN_DOCKER": "podman"} if engine_name == "podman" else None,
    )  # fmt: skip
    for check in ("import", "serve", "stop", "non-root", "sbom"):
        assert f"[ok] {check}:" in result.stderr, result.stderr[-3000:]
