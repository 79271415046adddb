"""The times the image's files carry, and where quatrain keeps what it made before."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from quatrain import cmd
from quatrain.log import log


@dataclass(frozen=True)
class Epochs:
    """The times the layers' files carry. The project's layer and the config: SOURCE_DATE_EPOCH,
    else the checked-out commit's time. The user's and the dependencies' layers: the time of the
    last commit that changed poetry.lock, when earlier (clamped, as reproducible builds clamp
    every file to SOURCE_DATE_EPOCH): they hold nothing newer than the lock, and a commit that
    changes only code then changes only the project's layer."""

    project: int
    lock: int


def source_date_epochs(root: Path, env: Mapping[str, str]) -> Epochs:
    given = env.get("SOURCE_DATE_EPOCH", "").strip()
    project = int(given) if given.isdigit() else _commit_time(root)
    if project is None:
        log.info("  no SOURCE_DATE_EPOCH and no git commit: the image's files are dated 1970-01-01")
        project = 0
    lock = _commit_time(root, "poetry.lock")
    return Epochs(project=project, lock=min(project, lock) if lock is not None else project)


def _commit_time(root: Path, *paths: str) -> int | None:
    if not shutil.which("git"):
        return None
    argv = ["git", "-C", str(root), "log", "-1", "--format=%ct", "--", *paths]
    found = cmd.capture(argv, echo=False)
    text = found.stdout.strip()
    return int(text) if found.returncode == 0 and text.isdigit() else None


def cache_home(env: Mapping[str, str]) -> Path:
    """quatrain's cache: built layers' inputs by their key, layouts of its own."""
    return Path(env.get("XDG_CACHE_HOME") or Path(env.get("HOME", "/tmp")) / ".cache") / "quatrain"
