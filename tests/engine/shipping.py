"""The test bed's shipping services, as session fixtures: two local registries (one plain, one
behind basic auth), a second, empty engine, and the buildx client.

The registry binary and the buildx plugin are unpacked by `scripts/testbed.sh` into
QUATRAIN_TESTBED_DIR (default ~/.cache/quatrain-testbed); the fixtures fail, never skip, when
they are missing. Every server binds 127.0.0.1 only and is stopped at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import pytest
from engine_support import Quatrain, docker_binary

from quatrain import engines

# The stand-in images engine B needs to build the test projects without a registry of images.
BASE_IMAGES = ("python:3.11-slim-bookworm",)
BUILDX_CLIENT = "/usr/local/bin/docker"  # the 28.x client, which needs the buildx plugin
START_SECONDS = 60


def ephemeral_port() -> int:
    """A port the kernel hands out (not the index's preferred one, which it keeps for itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def testbed_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "quatrain-testbed"
    return Path(os.environ.get("QUATRAIN_TESTBED_DIR") or default)


def _needed(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.fail(f"{what} is missing at {path}: run scripts/testbed.sh")
    return path


@dataclass(frozen=True)
class Registry:
    host: str  # 127.0.0.1:PORT
    root: Path  # its storage
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def _config(root: Path, port: int, htpasswd: Path | None, *, access_log: bool = False) -> str:
    auth = f"auth:\n  htpasswd:\n    realm: quatrain-tests\n    path: {htpasswd}\n"
    return (
        "version: 0.1\n"
        f"log:\n  level: {'info' if access_log else 'warn'}\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'storage'}\n"
        "  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n" + (auth if htpasswd else "")
    )


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers; it wants credentials
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{url} did not come up; its log:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)


@dataclass
class _Running:
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_registry(
    root: Path, *, login: tuple[str, str] | None = None, access_log: bool = False
) -> Iterator[Registry]:
    """A registry on loopback; `access_log`: every request in root/registry.log."""
    binary = _needed(testbed_dir() / "registry/usr/bin/docker-registry", "docker-registry")
    htpasswd = None
    if login:
        htpasswd = root / "htpasswd"
        hashed = bcrypt.hashpw(login[1].encode(), bcrypt.gensalt(rounds=5)).decode()
        htpasswd.write_text(f"{login[0]}:{hashed}\n")
    port = ephemeral_port()
    (root / "config.yml").write_text(_config(root, port, htpasswd, access_log=access_log))
    log = root / "registry.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "serve", str(root / "config.yml")],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    running = _Running(process)
    try:
        _wait_for(f"http://127.0.0.1:{port}/v2/", process, log)
        yield Registry(
            host=f"127.0.0.1:{port}",
            root=root,
            username=login[0] if login else None,
            password=login[1] if login else None,
        )
    finally:
        running.stop()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A plain registry on loopback, new for this session."""
    yield from start_registry(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry behind basic auth (bcrypt htpasswd), with a password made for this session."""
    login = ("quatrain", f"reg-{uuid.uuid4().hex}")
    yield from start_registry(tmp_path_factory.mktemp("auth-registry"), login=login)


# --- engine B: a second dockerd that has never built anything -----------------------------


def _dockerd() -> str:
    for candidate in ("/usr/sbin/dockerd", "/usr/bin/dockerd"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("dockerd") or pytest.fail("no dockerd: run scripts/testbed.sh")


def start_engine_b(root: Path, engine_a: engines.Engine) -> Iterator[engines.Engine]:
    """dockerd with its own socket, data, exec root and pid file; no iptables, no bridge, so it
    touches no network of the host's. The stand-in base images come from engine A by save/load
    (that is the images a registry would give it, not the project)."""
    socket = root / "engine-b.sock"
    argv = [
        _dockerd(), "-H", f"unix://{socket}", "--data-root", str(root / "data"),
        "--exec-root", str(root / "exec"), "--pidfile", str(root / "docker.pid"),
        "--iptables=false", "--ip6tables=false", "--bridge=none",
    ]  # fmt: skip
    log = root / "dockerd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    running = _Running(process)
    env = {**os.environ, "DOCKER_HOST": f"unix://{socket}"}
    try:
        engine = _connect_when_up(docker_binary(), env, process, log)
        _load_base_images(engine_a, engine)
        yield engine
    finally:
        running.stop()
        # dockerd 20.10 leaves its exec root's netns/default bind-mounted when it exits.
        netns = root / "exec" / "netns" / "default"
        if netns.exists():
            subprocess.run(["umount", str(netns)], capture_output=True, check=False)
        if process.returncode == 0:  # stopped cleanly: no mount is left under data/
            shutil.rmtree(root / "data", ignore_errors=True)


def _connect_when_up(
    binary: str, env: Mapping[str, str], process: subprocess.Popen[bytes], log: Path
) -> engines.Engine:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            return engines.connect(binary, env)
        except Exception as error:  # noqa: BLE001 - not up yet, or never
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"engine B did not start ({error}); its log:\n{log.read_text()[-3000:]}"
                )
            time.sleep(0.5)


def _load_base_images(engine_a: engines.Engine, engine_b: engines.Engine) -> None:
    with subprocess.Popen(
        [engine_a.binary, "save", *BASE_IMAGES], stdout=subprocess.PIPE, env=dict(engine_a.env)
    ) as saved:
        loaded = subprocess.run(
            [engine_b.binary, "load", "--quiet"],
            stdin=saved.stdout,
            env=dict(engine_b.env),
            capture_output=True,
            check=False,
        )
    if saved.returncode != 0 or loaded.returncode != 0:
        pytest.fail(f"could not load {BASE_IMAGES} into engine B: {loaded.stderr.decode()}")


@pytest.fixture(scope="session")
def engine_b(
    tmp_path_factory: pytest.TempPathFactory, engine: engines.Engine
) -> Iterator[engines.Engine]:
    yield from start_engine_b(tmp_path_factory.mktemp("engine-b"), engine)


# --- the buildx client ----------------------------------------------------------------------


def buildx_env() -> dict[str, str]:
    """What makes the 28.x client find the plugin: the test bed's DOCKER_CONFIG, not ~/.docker."""
    config = testbed_dir() / "docker-config"
    _needed(config / "cli-plugins/docker-buildx", "the buildx plugin")
    return {"DOCKER_CONFIG": str(config)}


@dataclass(frozen=True)
class QuatrainWith(Quatrain):
    """The CLI runner with more variables of its own (DOCKER_CONFIG, DOCKER_HOST, ...)."""

    extra: Mapping[str, str] = field(default_factory=dict)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return super().env({**self.extra, **(extra or {})})


@pytest.fixture(scope="session")
def buildx_engine() -> engines.Engine:
    engine = engines.connect(BUILDX_CLIENT, {**os.environ, **buildx_env()})
    assert engine.buildx, "the test bed's client must build through buildx"
    return engine


@pytest.fixture(scope="session")
def quatrain_buildx(buildx_engine: engines.Engine) -> Quatrain:
    return QuatrainWith(buildx_engine, extra=buildx_env())
