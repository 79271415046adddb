"""What the results were measured on: the machine, the engine, the versions."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

from harness.config import DOCKER, DOCKERPYZE_VERSION, FULL_BASE, REPO, SHORT_TIMEOUT, SLIM_BASE
from harness.proc import CommandError, docker, run


def describe() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_bytes() / 2**30, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "docker_client": DOCKER,
        "docker_engine": _quiet(["docker", "version", "--format", "{{.Server.Version}}"]),
        "storage_driver": _quiet(["docker", "info", "--format", "{{.Driver}}"]),
        "python_host": platform.python_version(),
        "poetry_host": _quiet([sys.executable, "-m", "poetry", "--version"]),
        "quatrain": _quiet([sys.executable, "-m", "quatrain", "--version"]),
        "quatrain_git": _git_revision(),
        "dockerpyze": DOCKERPYZE_VERSION,
        "wrk": _quiet(["wrk", "--version"]).partition("\n")[0],
        "base_images": {image: _image_facts(image) for image in (SLIM_BASE, FULL_BASE)},
    }


def _quiet(command: list[str]) -> str:
    try:
        if command[0] == "docker":
            return docker(*command[1:], timeout=SHORT_TIMEOUT).stdout.strip()
        result = run(command, timeout=SHORT_TIMEOUT, check=False)
        return (result.stdout or result.stderr).strip()
    except (CommandError, OSError):
        return ""


def _image_facts(image: str) -> dict[str, str]:
    template = '{{.Id}} {{.Size}} {{index .Config.Labels "org.quatrain.stand-in"}}'
    facts = _quiet(["docker", "image", "inspect", "--format", template, image]).split()
    keys = ("id", "size_bytes", "stand_in")
    return dict(zip(keys, facts, strict=False))


def _git_revision() -> str:
    revision = _quiet(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    changed = _quiet(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"])
    return f"{revision} (src/ has uncommitted changes)" if changed else revision


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor()


def _memory_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def _os_name() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.partition("=")[2].strip('"')
    return platform.platform()
