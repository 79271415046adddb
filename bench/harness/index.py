"""The local package index: the wheels of bench/index-requirements.txt, served by pypiserver on
127.0.0.1, so that Poetry can lock and install without PyPI's JSON API."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.config import BENCH, CACHE, DOWNLOAD_TIMEOUT, INDEX_PORT, PYTHON_VERSION
from harness.proc import plain_pip_env, run

REQUIREMENTS = BENCH / "index-requirements.txt"


def wheel_directory() -> Path:
    """The wheels, downloaded once per machine (the directory names the requirements' digest)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    directory = CACHE / f"wheels-{digest}"
    stamp = directory / ".complete"
    if not stamp.exists():
        directory.mkdir(parents=True, exist_ok=True)
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--dest",
                str(directory),
                "--only-binary=:all:",
                "--python-version",
                PYTHON_VERSION,
                "--requirement",
                str(REQUIREMENTS),
            ],
            timeout=DOWNLOAD_TIMEOUT,
            env=plain_pip_env(),
        )
        stamp.touch()
    return directory


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _wait_until_up(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def serving(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1:INDEX_PORT; yield the simple index URL."""
    if not port_is_free(INDEX_PORT):
        message = f"port {INDEX_PORT} on 127.0.0.1 is taken; the benchmark's index needs it"
        raise RuntimeError(message)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pypiserver",
            "run",
            "-p",
            str(INDEX_PORT),
            "-i",
            "127.0.0.1",
            "--disable-fallback",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{INDEX_PORT}/simple/"
    try:
        _wait_until_up(server, url)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
