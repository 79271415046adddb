"""Builds with BuildKit's plain progress, timed, with the time of every step."""

from __future__ import annotations

import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.config import PRUNE_TIMEOUT, SHORT_TIMEOUT
from harness.proc import CommandError, docker, tail

_TITLE = re.compile(r"^#(\d+) (\S.*)$")
_DONE = re.compile(r"^#(\d+) DONE (\d+(?:\.\d+)?)s$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
_ERROR = re.compile(r"^#(\d+) ERROR:? ?(.*)$")
# Lines of a step that are not its title: its digest, its timed output, its transfers.
_NOT_A_TITLE = re.compile(r"^(sha256:|\d+\.\d+ |DONE |CACHED|ERROR|transferring |\.\.\.)")
_TITLE_LENGTH = 1000
RUN_LABEL = "org.quatrain.bench.run"
RUN_ID = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


@dataclass
class Step:
    title: str
    seconds: float
    cached: bool


@dataclass
class Build:
    ok: bool
    seconds: float
    steps: list[Step] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_steps(progress: str) -> list[Step]:
    """BuildKit's plain progress -> its steps in order, with their DONE times (0 when cached)."""
    titles: dict[str, str] = {}
    seconds: dict[str, float] = {}
    cached: set[str] = set()
    for line in progress.splitlines():
        if done := _DONE.match(line):
            seconds[done.group(1)] = float(done.group(2))
        elif hit := _CACHED.match(line):
            cached.add(hit.group(1))
        elif (found := _TITLE.match(line)) and not _NOT_A_TITLE.match(found.group(2)):
            titles.setdefault(found.group(1), " ".join(found.group(2).split())[:_TITLE_LENGTH])
    return [
        Step(title, seconds.get(number, 0.0), number in cached) for number, title in titles.items()
    ]


def build(
    context: Path,
    dockerfile: Path,
    tag: str,
    *,
    timeout: float,
    build_args: dict[str, str] | None = None,
    no_cache: bool = False,
) -> Build:
    """`docker build` of the default target with the host network (for the local index).
    `no_cache`: use no cached step (its results are still cached for the next build).
    Every image gets the run's label, so that the run can remove exactly its own."""
    arguments = [f"--build-arg={k}={v}" for k, v in (build_args or {}).items()]
    arguments += ["--no-cache"] if no_cache else []
    arguments += [f"--label={RUN_LABEL}={RUN_ID}"]
    command = [
        "build",
        "--network",
        "host",
        "--progress",
        "plain",
        *arguments,
        "--file",
        str(dockerfile),
        "--tag",
        tag,
        str(context),
    ]
    start = time.monotonic()
    try:
        result = docker(*command, timeout=timeout, check=False)
    except CommandError as error:
        return Build(False, time.monotonic() - start, error=str(error))
    elapsed = time.monotonic() - start
    steps = parse_steps(result.stderr + result.stdout)
    if result.returncode != 0:
        return Build(False, elapsed, steps, error=_build_error(result.stderr))
    return Build(True, elapsed, steps)


def _build_error(progress: str) -> str:
    errors = [line for line in progress.splitlines() if _ERROR.match(line) or "error" in line]
    return tail("\n".join(errors) or progress, 15)


def prune_cache() -> None:
    """Empty the engine's build cache (every builder's), so that the next build is cold."""
    docker("builder", "prune", "--all", "--force", timeout=PRUNE_TIMEOUT)


def image_size(image: str) -> int:
    out = docker("image", "inspect", "--format", "{{.Size}}", image, timeout=SHORT_TIMEOUT)
    return int(out.stdout.strip())


def image_id(image: str) -> str:
    out = docker("image", "inspect", "--format", "{{.Id}}", image, timeout=SHORT_TIMEOUT)
    return out.stdout.strip()


def remove_run_images() -> None:
    """Remove every image this run built (tagged or not), and only those."""
    listed = docker("images", "--quiet", "--no-trunc", "--filter", f"label={RUN_LABEL}={RUN_ID}",
                    timeout=SHORT_TIMEOUT)  # fmt: skip
    for identifier in sorted(set(listed.stdout.split())):
        docker("rmi", "--force", identifier, timeout=SHORT_TIMEOUT, check=False)


def layer_sizes(image: str) -> list[tuple[str, int]]:
    """The image's layers, newest first: (the instruction that made it, its bytes)."""
    out = docker(
        "history",
        "--no-trunc",
        "--format",
        "{{.Size}}\t{{.CreatedBy}}",
        image,
        "--human=false",
        timeout=SHORT_TIMEOUT,
    )
    layers = []
    for line in out.stdout.splitlines():
        size, _, created_by = line.partition("\t")
        layers.append((" ".join(created_by.split())[:_TITLE_LENGTH], int(size or 0)))
    return layers
