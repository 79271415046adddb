"""A local package index on 127.0.0.1 for the test projects, so that Poetry never needs PyPI.

The wheels are downloaded once per machine into a cache directory and served by pypiserver.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REQUIREMENTS = Path(__file__).parents[1] / "index-requirements.txt"
# The Python of the stand-in images; wheels are chosen for it, not for the host's Python.
IMAGE_PYTHON = "3.11"
PREFERRED_PORT = 38141


# The daemonless multi-platform test assembles flask-factory for arm64 too: the index serves the
# aarch64 wheels of its dependencies (markupsafe has compiled code), so that its lock has them.
ARM64_REQUIREMENTS = ("flask==3.1.3", "gunicorn==27.0.1")
ARM64_PLATFORMS = ("manylinux_2_17_aarch64", "manylinux2014_aarch64", "manylinux_2_28_aarch64")


def wheel_directory() -> Path:
    """The cached wheels, downloaded on first use (the stamp names the requirements' digest)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "quatrain-tests"
    wanted = REQUIREMENTS.read_bytes() + repr((ARM64_REQUIREMENTS, ARM64_PLATFORMS)).encode()
    directory = cache / f"wheels-{hashlib.sha256(wanted).hexdigest()[:16]}"
    stamp = directory / ".complete"
    if not stamp.exists():
        directory.mkdir(parents=True, exist_ok=True)
        download = [
            sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(directory),
            "--only-binary=:all:", "--python-version", IMAGE_PYTHON,
        ]  # fmt: skip
        subprocess.run(
            [*download, "--requirement", str(REQUIREMENTS)], check=True, env=_plain_pip_env()
        )
        arm64 = [f"--platform={p}" for p in ARM64_PLATFORMS]
        subprocess.run([*download, *arm64, *ARM64_REQUIREMENTS], check=True, env=_plain_pip_env())
        stamp.touch()
    return directory


def _plain_pip_env() -> dict[str, str]:
    # Only the public index: a machine's own pip configuration (find-links, extra indexes) could
    # hand us locally built wheels whose hashes no other machine would ever see.
    env = {
        k: v for k, v in os.environ.items() if k not in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL")
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def free_port() -> int:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PREFERRED_PORT)) != 0:
            return PREFERRED_PORT  # a fixed port keeps locks, and so build caches, across runs
        probe.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_htpasswd(path: Path, username: str, password: str) -> Path:
    """An Apache htpasswd file ({SHA} scheme), which pypiserver checks basic auth against
    (through passlib, in its own process)."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    path.write_text(f"{username}:{{SHA}}{digest}\n")
    return path


def start(directory: Path, *, htpasswd: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Serve `directory` on 127.0.0.1; return the process and the simple index URL.

    With `htpasswd`, listing and downloading need basic auth, like a private index."""
    port = free_port()
    auth = ["-P", str(htpasswd), "-a", "download,list"] if htpasswd else []
    server = subprocess.Popen(
        [sys.executable, "-m", "pypiserver", "run", "-p", str(port), "-i", "127.0.0.1",
         *auth, "--disable-fallback", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/simple/"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return server, url
        except urllib.error.HTTPError:
            return server, url  # it answers; it wants credentials
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.2)
