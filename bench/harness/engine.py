"""The engine the run measures on.

By default a private Docker daemon: the same dockerd binary as the machine's engine, with its
own socket, data root and build cache, so that other people's builds on the shared engine can
neither share a build step with a measured cold build (BuildKit runs identical steps of
concurrent builds once) nor refill the cache it just emptied, and so that its prunes never
empty theirs. The base images are copied into it once (`docker save | docker load`, same ids).
With --shared-engine, the machine's engine, which other people's tests may restart: every
measurement notices a restart, waits and repeats."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from harness.config import DOCKER, FULL_BASE, PRUNE_TIMEOUT, SHORT_TIMEOUT, SLIM_BASE
from harness.proc import CommandError, docker, docker_env

T = TypeVar("T")
WAIT_SECONDS = 180
SHARED_PID_FILE = Path("/var/run/docker.pid")
PRIVATE_DATA = Path("/var/lib/quatrain-bench/docker")
PRIVATE_RUN = Path("/run/quatrain-bench")
PRIVATE_SOCKET = PRIVATE_RUN / "docker.sock"
PRIVATE_PID_FILE = PRIVATE_RUN / "docker.pid"
PRIVATE_LOG = Path("/tmp/quatrain-bench-dockerd.log")
_pid_file = SHARED_PID_FILE


def identity() -> str:
    """The running daemon's pid (changes when it restarts); '' when unknown."""
    try:
        return _pid_file.read_text().strip()
    except OSError:
        return ""


def answers() -> bool:
    try:
        docker("version", "--format", "{{.Server.Version}}", timeout=SHORT_TIMEOUT)
    except (CommandError, OSError):
        return False
    return True


def wait() -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not answers():
        if time.monotonic() > deadline:
            message = f"the Docker engine did not answer for {WAIT_SECONDS} s"
            raise RuntimeError(message)
        time.sleep(2)


def steady(action: Callable[[], T], log: Callable[[str], None], attempts: int = 3) -> T:
    """Run `action`; when the engine restarted or stopped meanwhile, wait for it and run
    `action` again (its result would be wrong: a build cut short, a cache lost)."""
    for attempt in range(1, attempts + 1):
        before = identity()
        try:
            result = action()
        except CommandError:
            if answers() and identity() == before:
                raise
            result = None
        if result is not None and answers() and identity() == before:
            return result
        log(f"    the engine restarted or stopped meanwhile (attempt {attempt}); repeating")
        wait()
    message = f"the engine kept restarting ({attempts} attempts)"
    raise RuntimeError(message)


@contextmanager
def private(log: Callable[[str], None]) -> Iterator[str]:
    """Use (starting it if needed) the private daemon for every docker command of the run;
    yield its address. A daemon started here is stopped on the way out."""
    global _pid_file
    address = f"unix://{PRIVATE_SOCKET}"
    shared = {**os.environ}
    os.environ["DOCKER_HOST"] = address
    _pid_file = PRIVATE_PID_FILE
    started = None if answers() else _start(log)
    try:
        _copy_base_images(shared, log)
        yield address
    finally:
        if answers():  # its build cache is the run's alone: leave no gigabytes behind
            docker("builder", "prune", "--all", "--force", timeout=PRUNE_TIMEOUT, check=False)
        if started is not None:
            _stop(started, log)
        os.environ.clear()
        os.environ.update(shared)
        _pid_file = SHARED_PID_FILE


def _dockerd() -> str:
    for candidate in ("/usr/sbin/dockerd", "/usr/bin/dockerd"):
        if Path(candidate).exists():
            return candidate
    found = shutil.which("dockerd")
    if found is None:
        message = "no dockerd to start a private engine with (or pass --shared-engine)"
        raise RuntimeError(message)
    return found


def _start(log: Callable[[str], None]) -> subprocess.Popen[bytes]:
    log(f"starting a private Docker engine on {PRIVATE_SOCKET} (data in {PRIVATE_DATA})")
    PRIVATE_DATA.mkdir(parents=True, exist_ok=True)
    PRIVATE_RUN.mkdir(parents=True, exist_ok=True)
    command = [
        _dockerd(), f"--data-root={PRIVATE_DATA}", f"--exec-root={PRIVATE_RUN / 'exec'}",
        f"--pidfile={PRIVATE_PID_FILE}", f"--host=unix://{PRIVATE_SOCKET}",
        "--iptables=false", "--ip6tables=false", "--bridge=none",
    ]  # fmt: skip
    with PRIVATE_LOG.open("ab") as output:
        daemon = subprocess.Popen(
            command, stdout=output, stderr=output, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while not answers():
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            message = f"the private Docker engine did not start; see {PRIVATE_LOG}"
            raise RuntimeError(message)
        time.sleep(0.5)
    return daemon


def _stop(daemon: subprocess.Popen[bytes], log: Callable[[str], None]) -> None:
    log("stopping the private Docker engine")
    daemon.terminate()
    try:
        daemon.wait(timeout=60)
    except subprocess.TimeoutExpired:
        daemon.kill()


def _copy_base_images(shared: dict[str, str], log: Callable[[str], None]) -> None:
    """The machine's base images, into the private engine, when missing or different."""
    for image in (SLIM_BASE, FULL_BASE):
        want = _image_id(image, shared)
        if want is None:
            message = f"base image {image} is missing on the machine's engine (scripts/testbed.sh)"
            raise RuntimeError(message)
        if _image_id(image, docker_env()) == want:
            continue
        log(f"copying {image} into the private engine")
        save = subprocess.Popen([DOCKER, "save", image], stdout=subprocess.PIPE, env=shared)
        subprocess.run([DOCKER, "load", "--quiet"], stdin=save.stdout, env=docker_env(),
                       check=True, capture_output=True, timeout=600)  # fmt: skip
        save.wait(timeout=60)


def _image_id(image: str, env: dict[str, str]) -> str | None:
    found = subprocess.run(
        [DOCKER, "image", "inspect", "--format", "{{.Id}}", image],
        env=env, capture_output=True, text=True, check=False, timeout=SHORT_TIMEOUT,
    )  # fmt: skip
    return found.stdout.strip() if found.returncode == 0 else None
