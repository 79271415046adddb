"""The project's own gunicorn.conf.py, read with `ast` and never run: which of its settings a
container keeps, and which it cannot (a file written for a VM binds a unix socket, turns into
a daemon, writes its logs and pid file under /var, switches user: the container exits).

gunicorn reads ./gunicorn.conf.py from the directory it starts in; production starts there,
since it runs from the shipped sources. Detection then tells gunicorn to read none, and passes
what is kept as flags: the settings of capacity and timing, given as literals.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

GUNICORN_CONFIG = "gunicorn.conf.py"

# Setting -> its flag: what a container keeps of the file, when the value is a literal.
KEPT = {
    "workers": "--workers",
    "threads": "--threads",
    "timeout": "--timeout",
    "graceful_timeout": "--graceful-timeout",
    "keepalive": "--keep-alive",
    "max_requests": "--max-requests",
    "max_requests_jitter": "--max-requests-jitter",
    "worker_connections": "--worker-connections",
    "limit_request_line": "--limit-request-line",
    "limit_request_fields": "--limit-request-fields",
    "limit_request_field_size": "--limit-request-field_size",
}
_BOOLEAN_KEPT = {"preload_app": "--preload"}


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    file: str  # relative to the project
    flags: tuple[str, ...]  # what is kept, as gunicorn's flags
    kept: tuple[str, ...]  # the settings those flags carry, for people
    left_out: tuple[str, ...]  # the settings the container does without


def gunicorn_config(root: Path, workdir: str = "") -> ServerConfig | None:
    """The gunicorn.conf.py where production starts gunicorn, if there is one."""
    path = root / workdir / GUNICORN_CONFIG if workdir else root / GUNICORN_CONFIG
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None if not path.exists() else ServerConfig(
            file=_relative(path, root), flags=(), kept=(), left_out=("the whole file",)
        )  # fmt: skip
    flags: list[str] = []
    kept: list[str] = []
    left_out: list[str] = []
    for name, value in _assignments(tree):
        literal = _literal(value)
        if name in KEPT and isinstance(literal, int) and not isinstance(literal, bool):
            flags.append(f"{KEPT[name]}={literal}")
            kept.append(f"{name} = {literal}")
        elif name in _BOOLEAN_KEPT and literal is True:
            flags.append(_BOOLEAN_KEPT[name])
            kept.append(f"{name} = True")
        elif not name.startswith("_"):
            left_out.append(name)
    return ServerConfig(
        file=_relative(path, root), flags=tuple(flags), kept=tuple(kept), left_out=tuple(left_out)
    )


def _assignments(tree: ast.Module) -> list[tuple[str, ast.expr]]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            found += [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            found.append((node.target.id, node.value))
        elif isinstance(node, ast.FunctionDef):  # a server hook: on_starting, post_fork, ...
            found.append((node.name, ast.Constant(value=None)))
    return found


def _literal(value: ast.expr) -> object:
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
