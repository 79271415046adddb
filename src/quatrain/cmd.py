"""The one place where quatrain starts a process: every command is echoed as `+ cmd`, then run.

Echo is on for every command, captured or not, so that what quatrain did to the engine can be
read in its output and run again by hand. `echo=False` is the quiet mode, for a question asked
again and again whose answer the caller reports in its own words (whether a container is still
running while verify waits on it): there, the echo would be noise around the answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from quatrain.errors import EngineError
from quatrain.log import log


def _start(argv: Sequence[str], *, echo: bool) -> list[str]:
    """The command with its program found on PATH, echoed unless quiet."""
    program = shutil.which(argv[0])
    if program is None:
        there = os.path.sep in argv[0] and Path(argv[0]).is_file()
        msg = (
            f"`{argv[0]}` {'is not executable' if there else 'was not found'}. Install it, or "
            "point quatrain at it (for Docker: --docker PATH or QUATRAIN_DOCKER=PATH)."
        )
        raise EngineError(msg)
    if echo:
        log.command(list(argv))
    return [program, *argv[1:]]


@contextmanager
def _started(argv: Sequence[str]) -> Iterator[None]:
    """A program that is there but cannot be run (a script without `#!`, a binary for another
    machine, a directory) is an EngineError naming it, not a traceback."""
    try:
        yield
    except OSError as error:
        msg = (
            f"`{argv[0]}` could not be run: {error.strerror or error}. Point quatrain at the "
            "engine's own program (for Docker: --docker PATH or QUATRAIN_DOCKER=PATH)."
        )
        raise EngineError(msg) from error


def call(argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = True) -> int:
    """Run a command with its output going straight to ours; return its exit code."""
    with _started(argv):
        return subprocess.run(_start(argv, echo=echo), env=env, check=False).returncode


def start(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = True
) -> subprocess.Popen[bytes]:
    """Start a command with its output going straight to ours, and hand it back running."""
    with _started(argv):
        return subprocess.Popen(_start(argv, echo=echo), env=env)


def capture(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a command and hand back its exit code, stdout and stderr as text."""
    with _started(argv):
        return subprocess.run(
            _start(argv, echo=echo), env=env, check=False, capture_output=True, text=True
        )


def stream(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    echo: bool = True,
    cwd: str | None = None,
) -> tuple[int, list[str]]:
    """Run a command with its output (both streams) going on to our stderr line by line, as
    it comes; return its exit code and the lines, for an error to explain what failed."""
    lines = []
    with (
        _started(argv),
        subprocess.Popen(
            _start(argv, echo=echo),
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            sys.stderr.write(line)
            lines.append(line.rstrip("\n"))
    return process.returncode, lines
