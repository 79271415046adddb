"""Generated files on disk: stamped with a digest, so that quatrain knows which it may replace.

A file quatrain writes carries a `# quatrain-digest: <sha256>` line, the digest of the rest of
the file. If the line is missing or the digest no longer matches, the user wrote or edited the
file, and quatrain leaves it alone unless told `--force` (which keeps a backup).

Whatever the flags, quatrain writes only regular files inside the directory it is given: a
link that leads out of it, a directory in a file's place or a directory it may not write in
is a WriteError naming the path, before anything is written where that can be known.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
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
    """Write stamped files; refuse, before writing anything, if one would clobber the user's,
    is not a file, or is a link out of the directory."""
    stamped = {name: stamp(text) for name, text in sorted(files.items())}
    for name in stamped:
        _check_writable_place(directory, name)
    blocked = [name for name in stamped if _belongs_to_user(directory / name)]
    if blocked and not force:
        msg = (
            f"Not writing {', '.join(blocked)} in {directory}: written by you, or edited since "
            "quatrain wrote it. Your changes are kept. Use --stdout to see what quatrain would "
            "write, or --force to replace (the current file is kept as <name>.bak)."
        )
        raise WriteError(msg)
    return [_write_one(directory / name, text) for name, text in stamped.items()]


Freshness = Literal["up to date", "stale", "missing", "yours"]


def freshness(files: Mapping[str, str], directory: Path) -> dict[str, Freshness]:
    """For `init --check`: how each file on disk compares with what init would write now.
    "stale", quatrain's and not what it would write; "missing"; "yours", written or edited by
    the user, which init leaves alone and the check does too."""
    found: dict[str, Freshness] = {}
    for name, text in sorted(files.items()):
        path = directory / name
        if not path.is_file():
            found[name] = "missing"
            continue
        current = _read(path)
        if not is_unedited(current):
            found[name] = "yours"
        else:
            found[name] = "up to date" if current == stamp(text) else "stale"
    return found


def _check_writable_place(directory: Path, name: str) -> None:
    """A generated file is a regular file inside the directory: never a directory, and never
    written through a symbolic link (or a linked parent) that leads out of it, --force or not."""
    path = directory / name
    target = path.resolve()
    if not target.is_relative_to(directory.resolve()):
        msg = (
            f"Not writing {path}: a symbolic link leads it to {target}, outside {directory}, "
            "and quatrain writes only inside the project. Replace the link with a file (or "
            "remove it) and run init again, or use --stdout to write the file elsewhere."
        )
        raise WriteError(msg)
    if target.exists() and not target.is_file():
        msg = (
            f"Not writing {path}: it is a directory (or another non-file), where quatrain "
            "writes a file. Move it away and run init again, or use --stdout to see the file."
        )
        raise WriteError(msg)


def _belongs_to_user(path: Path) -> bool:
    return path.exists() and not is_unedited(_read(path))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise _unwritable(path, error) from error


def _write_one(path: Path, text: str) -> Written:
    try:
        return _replace(path, path.resolve(), text)
    except OSError as error:
        raise _unwritable(path, error) from error


def _unwritable(path: Path, error: OSError) -> WriteError:
    msg = (
        f"Cannot write {path}: {error.strerror or error}. Make {path.parent} writable (and the "
        "file, if it exists) and run init again, or use --stdout to write the files elsewhere."
    )
    return WriteError(msg)


def _replace(path: Path, target: Path, text: str) -> Written:
    """Write `path`, whose link (if it is one) leads to `target` inside the directory."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        _write_whole(target, text, exclusive=True)  # never through a link made since
        return Written(path=path, outcome="created")
    current = target.read_text(encoding="utf-8", errors="replace")
    if current == text:
        return Written(path=path, outcome="unchanged")
    if is_unedited(current):
        _write_whole(target, text)
        return Written(path=path, outcome="updated")
    backup = _free_backup_path(path)
    with backup.open("xb") as kept:  # "x": a link named like a backup is never written through
        kept.write(target.read_bytes())  # the user's bytes, exactly
    _write_whole(target, text)
    return Written(path=path, outcome="replaced", backup=backup)


def _write_whole(target: Path, text: str, *, exclusive: bool = False) -> None:
    """The file as a whole or not at all, even when interrupted (Ctrl-C): written beside it,
    then moved into place; `exclusive`, only where no file (or link) has appeared since."""
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        with partial.open("x", encoding="utf-8") as out:
            out.write(text)
        if exclusive:
            os.link(partial, target)  # fails if anything took the name meanwhile
        else:
            shutil.copymode(target, partial)  # the file keeps the mode the user gave it
            os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _free_backup_path(path: Path) -> Path:
    """`Dockerfile.bak`, or `Dockerfile.bak.1` and on when that exists: never lose a backup.
    A link of that name, even a broken one, is taken too."""
    candidate = path.with_name(path.name + ".bak")
    number = 0
    while candidate.is_symlink() or candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.bak.{number}")
    return candidate
