"""Generated files on disk: stamped with a digest, so that quatrain knows which it may replace.

A file quatrain writes carries a `# quatrain-digest: <sha256>` line, the digest of the rest of
the file. If the line is missing or the digest no longer matches, the user wrote or edited the
file, and quatrain leaves it alone unless told `--force` (which keeps a backup).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from quatrain.errors import WriteError

_DIGEST_LINE = re.compile(r"^# quatrain-digest: ([0-9a-f]{64})\n", re.MULTILINE)
Outcome = Literal["created", "updated", "unchanged", "replaced"]


@dataclass(frozen=True, kw_only=True)
class Written:
    path: Path
    outcome: Outcome
    backup: Path | None = None


def stamp(text: str) -> str:
    """Add the digest line after the file's header comments (after any `# syntax=` line)."""
    lines = text.splitlines(keepends=True)
    insert_at = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    digest_line = f"# quatrain-digest: {_digest(text)}\n"
    return "".join([*lines[:insert_at], digest_line, *lines[insert_at:]])


def is_generated(text: str) -> bool:
    """True when quatrain wrote the text, whether or not the user edited it since."""
    return _DIGEST_LINE.search(text) is not None


def is_unedited(text: str) -> bool:
    """True when the text is exactly what quatrain stamped: its digest still matches."""
    found = _DIGEST_LINE.search(text)
    if found is None:
        return False
    body = text[: found.start()] + text[found.end() :]
    return found.group(1) == _digest(body)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write(files: Mapping[str, str], directory: Path, *, force: bool = False) -> list[Written]:
    """Write stamped files; refuse, before writing anything, if one would clobber the user's."""
    stamped = {name: stamp(text) for name, text in sorted(files.items())}
    blocked = [name for name in stamped if _belongs_to_user(directory / name)]
    if blocked and not force:
        msg = (
            f"Not writing {', '.join(blocked)} in {directory}: written by you, or edited since "
            "quatrain wrote it. Your changes are kept. Use --stdout to see what quatrain would "
            "write, or --force to replace (the current file is kept as <name>.bak)."
        )
        raise WriteError(msg)
    return [_write_one(directory / name, text) for name, text in stamped.items()]


def _belongs_to_user(path: Path) -> bool:
    return path.exists() and not is_unedited(path.read_text(encoding="utf-8", errors="replace"))


def _write_one(path: Path, text: str) -> Written:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(text, encoding="utf-8")
        return Written(path=path, outcome="created")
    current = path.read_text(encoding="utf-8", errors="replace")
    if current == text:
        return Written(path=path, outcome="unchanged")
    if is_unedited(current):
        path.write_text(text, encoding="utf-8")
        return Written(path=path, outcome="updated")
    backup = _free_backup_path(path)
    backup.write_bytes(path.read_bytes())  # the user's bytes, exactly
    path.write_text(text, encoding="utf-8")
    return Written(path=path, outcome="replaced", backup=backup)


def _free_backup_path(path: Path) -> Path:
    """`Dockerfile.bak`, or `Dockerfile.bak.1` and on when that exists: never lose a backup."""
    candidate = path.with_name(path.name + ".bak")
    number = 0
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.bak.{number}")
    return candidate
