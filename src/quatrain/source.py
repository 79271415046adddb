"""The project's Python source, read with `ast`: app objects, factories, settings. Never run."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from quatrain.project import Project

FACTORY_NAMES = ("create_app", "make_app")
# Constructor name -> framework. Quart is Flask's API on ASGI, so it is ASGI here.
CONSTRUCTORS = {
    "Flask": "flask",
    "FastAPI": "fastapi",
    "Starlette": "starlette",
    "Litestar": "litestar",
    "Quart": "quart",
}
# Directories whose modules are never the app: tests, docs, migrations and the like.
_SKIPPED_PARTS = frozenset({"tests", "test", "docs", "migrations", "__pycache__"})


@dataclass(frozen=True, kw_only=True)
class AppCandidate:
    module: str  # "pkg.web"
    attribute: str  # "create_app" or "app"
    factory: bool
    framework: str | None  # from the constructor seen; None for a factory whose body hides it
    path: str  # relative to the project root

    @property
    def app(self) -> str:
        suffix = "()" if self.factory else ""
        return f"{self.module}:{self.attribute}{suffix}"

    @property
    def found_in(self) -> str:
        return f"{self.path}: {self.attribute}{'()' if self.factory else ''}"


def modules(project: Project) -> Iterator[tuple[str, Path]]:
    """(dotted name, file) of every module the project ships, or of its root-level modules
    when it is not a package (package-mode = false)."""
    if not project.package_mode:
        for file in sorted(project.root.glob("*.py")):
            if file.stem not in ("manage", "setup", "conftest", "noxfile"):
                yield file.stem, file
        for init in sorted(project.root.glob("*/__init__.py")):
            if init.parent.name not in _SKIPPED_PARTS:
                yield from _package_modules(init.parent.name, init.parent)
        return
    for package in project.packages:
        location = project.root / package.path
        if location.is_file():
            yield package.name, location
        else:
            yield from _package_modules(package.name, location)


def _package_modules(name: str, location: Path) -> Iterator[tuple[str, Path]]:
    for file in sorted(location.rglob("*.py")):
        parts = file.relative_to(location).with_suffix("").parts
        if _SKIPPED_PARTS.intersection(parts):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join((name, *parts)), file


def parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return None  # not ours to judge: the build reports broken sources


def app_candidates(project: Project) -> Iterator[AppCandidate]:
    for module, path in modules(project):
        tree = parse(path)
        if tree is not None:
            relative = path.relative_to(project.root).as_posix()
            yield from _candidates_in(tree, module, relative)


def _candidates_in(tree: ast.Module, module: str, path: str) -> Iterator[AppCandidate]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in FACTORY_NAMES:
            if callable_without_arguments(node):
                framework = next(
                    (f for n in ast.walk(node) if (f := constructed_framework(n))), None
                )
                yield AppCandidate(
                    module=module, attribute=node.name, factory=True, framework=framework,
                    path=path,
                )  # fmt: skip
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            framework = constructed_framework(node.value)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if framework and isinstance(target, ast.Name):
                    yield AppCandidate(
                        module=module, attribute=target.id, factory=False, framework=framework,
                        path=path,
                    )  # fmt: skip


def callable_without_arguments(node: ast.FunctionDef) -> bool:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    missing_positional = len(positional) - len(args.defaults)
    missing_keyword = sum(default is None for default in args.kw_defaults)
    return missing_positional == 0 and missing_keyword == 0


def constructed_framework(node: ast.AST | None) -> str | None:
    """`Flask(...)` or `flask.Flask(...)` -> "flask"; anything else -> None."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return CONSTRUCTORS.get(name) if isinstance(name, str) else None


def string_assignments(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` assignments, e.g. WSGI_APPLICATION in Django settings."""
    found = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def string_lists(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level `NAME = ["a", "b"]` assignments, e.g. INSTALLED_APPS."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple):
            items = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = [i for i in items if isinstance(i, str)]
    return found


def assigned_names(tree: ast.Module) -> set[str]:
    """Every module-level name assigned, whatever the value (e.g. STATIC_ROOT)."""
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else []
        )  # fmt: skip
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def environ_default(tree: ast.Module, variable: str) -> str | None:
    """The value in `os.environ.setdefault("VARIABLE", "value")`, as manage.py writes it."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and len(node.args) == 2
            and all(isinstance(a, ast.Constant) for a in node.args)
        ):
            key, value = (a.value for a in node.args if isinstance(a, ast.Constant))
            if key == variable and isinstance(value, str):
                return value
    return None


def module_file(project: Project, dotted: str) -> Path | None:
    """Where a dotted module of the project lives: `mysite.settings` -> mysite/settings.py."""
    for module, path in modules(project):
        if module == dotted:
            return path
    return None
