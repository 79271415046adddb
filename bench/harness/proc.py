"""Subprocesses with a time limit, and errors that carry what the command printed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.config import DOCKER


class CommandError(RuntimeError):
    """A command failed or ran out of time; the message ends with the tail of its output."""


def run(
    command: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        output = _text(expired.stdout) + _text(expired.stderr)
        message = f"{_show(command)} ran out of its {timeout:.0f} s\n{tail(output)}"
        raise CommandError(message) from expired
    if check and result.returncode != 0:
        message = (
            f"{_show(command)} exited {result.returncode}\n{tail(result.stdout + result.stderr)}"
        )
        raise CommandError(message)
    return result


def docker(*args: str, timeout: float, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([DOCKER, *args], timeout=timeout, check=check, env=docker_env())


def docker_env() -> dict[str, str]:
    return {**os.environ, "DOCKER_BUILDKIT": "1"}


def plain_pip_env() -> dict[str, str]:
    """pip with the public index only: no machine-wide find-links or extra indexes."""
    skipped = ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL")
    env = {k: v for k, v in os.environ.items() if k not in skipped}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""


def _show(command: Sequence[str]) -> str:
    return " ".join(command)[:200]
