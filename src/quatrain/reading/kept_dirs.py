"""Directories a project keeps empty for its app to write into: committed with nothing but a
placeholder (`logs/.gitkeep`), because git keeps no empty directory. Production makes them
writable for the app's user, as it makes its data directory; every file of the code stays
read-only. Read from the project on disk, never from git."""

from __future__ import annotations

import os
import re
from pathlib import Path

# Files that only keep a directory in git: `.gitkeep` and `.keep` by convention, `.empty`, and
# a `.gitignore` of the directory's own (`*` with `!.gitignore`).
PLACEHOLDERS = frozenset({".gitkeep", ".keep", ".empty", ".gitignore"})
# Directories never searched: environments, caches, tools' own state.
_SKIPPED = frozenset({"node_modules", "venv", "env", "site-packages", "__pycache__"})
_MAX_DEPTH = 3  # logs/, var/log/, instance/uploads/tmp/
# Names a RUN line needs no quoting for; another name is left alone, never guessed at.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def kept_dirs(root: Path) -> tuple[str, ...]:
    """The project's directories (relative, POSIX) whose only files are placeholders."""
    found = []
    for directory, subdirs, files in os.walk(root):
        relative = Path(directory).relative_to(root)
        depth = len(relative.parts)
        if depth and not subdirs and files and set(files) <= PLACEHOLDERS:
            found.append(relative.as_posix())
        subdirs[:] = sorted(
            d
            for d in subdirs
            if depth < _MAX_DEPTH
            and not d.startswith(".")
            and d not in _SKIPPED
            and _PLAIN_NAME.fullmatch(d)
        )
    return tuple(sorted(found))
