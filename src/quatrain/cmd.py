"""The one place where quatrain starts a process: every command is echoed, then run."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence

from quatrain.errors import EngineError
from quatrain.log import log


def _resolve(argv: Sequence[str]) -> list[str]:
    program = shutil.which(argv[0])
    if program is None:
        msg = (
            f"`{argv[0]}` was not found. Install it, or point quatrain at it "
            "(for Docker: --docker PATH or QUATRAIN_DOCKER=PATH)."
        )
        raise EngineError(msg)
    return [program, *argv[1:]]


def call(argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = True) -> int:
    """Run a command with its output going straight to ours; return its exit code."""
    resolved = _resolve(argv)
    if echo:
        log.command(list(argv))
    return subprocess.run(resolved, env=env, check=False).returncode


def capture(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run a command and hand back its exit code, stdout and stderr as text."""
    resolved = _resolve(argv)
    if echo:
        log.command(list(argv))
    return subprocess.run(resolved, env=env, check=False, capture_output=True, text=True)
