"""The git commit a project is checked out at, read from the files of its .git directory.

quatrain starts no process to read a project, and the revision goes into a build argument and
a label: so only a commit id read from a ref inside .git is taken, and anything odd is None.
Every file read must lie inside the git directory it belongs to once links are followed: a
symlinked ref, a `gitdir:` or a `commondir` leading elsewhere would put any 40-hex-digit file
of the machine (a token) into the image's label. A worktree's or submodule's `gitdir:` leads
into another repository's .git, and its `commondir` to that .git: those are followed.
"""

from __future__ import annotations

import re
from pathlib import Path

_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 repositories
_REF_NAME = re.compile(r"refs/[A-Za-z0-9._/-]+")


def git_revision(root: Path) -> str | None:
    """The commit checked out in the git repository holding `root`, or None."""
    try:
        for directory in (root.resolve(), *root.resolve().parents):
            git = directory / ".git"
            if git.is_file():  # a worktree or submodule: "gitdir: <path>"
                target = git.read_text(encoding="utf-8").partition("gitdir:")[2].strip()
                git = (directory / target).resolve()
                if ".git" not in git.parts[:-1]:
                    return None  # not inside a repository's .git, where git keeps these
            if git.is_dir():
                return _resolve_head(git.resolve())
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # unreadable, a directory where a file should be, not UTF-8
    return None


def _read_commit(text: str) -> str | None:
    value = text.strip()
    return value if _COMMIT_ID.fullmatch(value) else None


def _inside(path: Path, base: Path) -> bool:
    return path.is_file() and path.resolve().is_relative_to(base)


def _resolve_head(git: Path) -> str | None:
    head = (git / "HEAD").read_text(encoding="utf-8").strip() if _inside(git / "HEAD", git) else ""
    if not head.startswith("ref:"):
        return _read_commit(head)
    ref = head.partition("ref:")[2].strip()
    if not _REF_NAME.fullmatch(ref) or ".." in ref.split("/"):
        return None  # a ref must name a file under refs/, never one elsewhere
    common = git
    if _inside(git / "commondir", git):  # worktrees keep their refs in the main repository
        common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
        if not git.is_relative_to(common):
            return None  # a worktree's git directory lies inside the .git it shares
    for base in (git, common):
        if _inside(base / ref, base):
            return _read_commit((base / ref).read_text(encoding="utf-8"))
    packed = common / "packed-refs"
    if _inside(packed, common):
        for line in packed.read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return _read_commit(sha)
    return None  # a branch with no commit yet
