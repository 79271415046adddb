"""Start-up time and requests per second of a production image, on loopback only.

The container shares the host's network and its server binds 127.0.0.1; the start-up probe
(urllib) and the load (wrk, from Debian's packages) run on the host against that address."""

from __future__ import annotations

import re
import shutil
import time
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

from harness.approaches import RunOptions
from harness.config import (
    SETTLE_SECONDS,
    SHORT_TIMEOUT,
    STARTUP_TIMEOUT,
    WARMUP_SECONDS,
    WRK_CONNECTIONS,
    WRK_SECONDS,
    WRK_THREADS,
)
from harness.index import port_is_free
from harness.proc import CommandError, docker, run, tail

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass
class Load:
    requests_per_second: float
    requests: int
    errors: int  # socket errors (connect, read, write, timeout) plus non-2xx/3xx responses
    latency_p50_ms: float | None
    latency_p99_ms: float | None


@dataclass
class Serving:
    ok: bool
    startup_seconds: float | None = None
    load: Load | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def measure(image: str, options: RunOptions, port: int) -> Serving:
    name = f"quatrain-bench-serve-{port}"
    docker("rm", "--force", name, timeout=SHORT_TIMEOUT, check=False)
    if not port_is_free(port):
        return Serving(False, error=f"port {port} on 127.0.0.1 is taken")
    url = f"http://127.0.0.1:{port}/"
    environment = [f"--env={key}={value}" for key, value in options.env.items()]
    start = time.monotonic()
    try:
        docker(
            "run",
            "--detach",
            "--name",
            name,
            "--network",
            "host",
            *environment,
            image,
            *options.command,
            timeout=SHORT_TIMEOUT,
        )
        startup = _first_response(url, start)
        if startup is None:
            logs = docker("logs", "--tail", "20", name, timeout=SHORT_TIMEOUT, check=False)
            message = f"no HTTP 200 on {url} within {STARTUP_TIMEOUT} s\n"
            return Serving(False, error=message + tail(logs.stdout + logs.stderr))
        time.sleep(SETTLE_SECONDS)  # see SETTLE_SECONDS
        _load(url, WARMUP_SECONDS)  # discarded
        return Serving(True, startup, _load(url, WRK_SECONDS))
    except CommandError as error:
        return Serving(False, error=str(error))
    finally:  # killed, not stopped: shutdown is not measured, and some images ignore SIGTERM
        docker("rm", "--force", name, timeout=SHORT_TIMEOUT, check=False)


def _first_response(url: str, start: float) -> float | None:
    """Seconds from `start` to the first HTTP 200, polling every 20 ms; None on time-out."""
    while time.monotonic() - start < STARTUP_TIMEOUT:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.02)
    return None


def _load(url: str, seconds: int) -> Load:
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        url,
    ]
    return parse_wrk(run(command, timeout=seconds + 30).stdout)


def parse_wrk(output: str) -> Load:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rate is None or total is None:
        message = f"unexpected wrk output:\n{output}"
        raise CommandError(message)
    errors = 0
    if sockets := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in sockets.groups())
    if bad := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(bad.group(1))
    return Load(
        float(rate.group(1)),
        int(total.group(1)),
        errors,
        _percentile(output, "50%"),
        _percentile(output, "99%"),
    )


def _percentile(output: str, label: str) -> float | None:
    found = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if found is None:
        return None
    return float(found.group(1)) * _UNITS[found.group(2)] * 1000
