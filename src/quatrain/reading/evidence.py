"""What the project's authors wrote about how they start it, read as text and never run: a
Procfile, their Dockerfiles, compose files, Heroku, Fly.io and Render manifests. Detection
uses it to choose among several apps the one the authors serve (`uvicorn app.main:app` in
deployments/core/docker-compose.core.yml)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Names of the files that say how a project is started, matched case-insensitively.
_EVIDENCE = re.compile(
    r"(procfile|dockerfile(\..*)?|.*\.dockerfile|(docker-)?compose(\..*)?\.ya?ml|"
    r"heroku\.yml|fly\.toml|app\.json|render\.yaml)",
    re.IGNORECASE,
)
# Where they are looked for: the root and directories up to two below it, never in these.
_DEPTH = 2
_SKIPPED = frozenset({".git", "node_modules", ".venv", "venv", "env", "tests", "test", "docs"})
_MOST_BYTES = 100_000  # a manifest is small; anything larger is not one


@dataclass(frozen=True)
class Evidence:
    path: str  # relative to the project root
    text: str


def evidence(root: Path) -> list[Evidence]:
    """The evidence files of the project, nearest the root first."""
    found = []
    for path in _files(root, 0):
        try:
            if path.stat().st_size <= _MOST_BYTES:
                text = path.read_text(encoding="utf-8", errors="replace")
                found.append(Evidence(path=path.relative_to(root).as_posix(), text=text))
        except OSError:
            continue
    return found


def _files(directory: Path, depth: int) -> Iterator[Path]:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            continue  # a link may lead out of the project
        if entry.is_file() and _EVIDENCE.fullmatch(entry.name):
            yield entry
    if depth < _DEPTH:
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink() and entry.name not in _SKIPPED:
                yield from _files(entry, depth + 1)


def naming(found: list[Evidence], target: str) -> str | None:
    """The first evidence file that names `target` ("app.main:app") as a whole word, if any."""
    pattern = re.compile(rf"(?<![\w.:]){re.escape(target)}(?![\w.:])")
    return next((e.path for e in found if pattern.search(e.text)), None)


# A stage of the authors' Dockerfile on the official image: `FROM python:3.11-slim AS app`.
_FROM_PYTHON = re.compile(
    r"^\s*FROM\s+(?:--platform=\S+\s+)?(?:docker\.io/)?(?:library/)?python:(3\.\d+)\b",
    re.IGNORECASE | re.MULTILINE,
)
_FROM = re.compile(r"^\s*FROM\s", re.IGNORECASE | re.MULTILINE)


def authors_python(found: list[Evidence]) -> tuple[str, str] | None:
    """(X.Y, file) of the Python the authors' own Dockerfile runs: its last stage's FROM, when
    that is the official python image with a version; the nearest the root first."""
    for item in found:
        if "dockerfile" not in item.path.rsplit("/", 1)[-1].lower():
            continue
        stages = list(_FROM.finditer(item.text))
        last = stages[-1].start() if stages else 0
        match = _FROM_PYTHON.search(item.text, last)
        if match and match.start() == last:
            return match[1], item.path
    return None
