"""The project's Python source, read with `ast`: its modules, app objects and factories. Never
run. What Django's settings say is read in django_settings.py."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from quatrain.reading.project import Project

# Factories known by name even when their body hides the constructor (`return build()`).
FACTORY_NAMES = ("create_app", "make_app", "get_app", "get_application", "build_app", "app_factory")
# Constructor name -> framework. Quart is Flask's API on ASGI, so it is ASGI here.
CONSTRUCTORS = {
    "Flask": "flask",
    "FastAPI": "fastapi",
    "Starlette": "starlette",
    "Litestar": "litestar",
    "Quart": "quart",
    "Dash": "dash",  # its Flask server is the WSGI app: `server = app.server`
    "Sanic": "sanic",  # served by its own server
    "Celery": "celery",  # a worker's app, not a web app
}
# Directories whose modules are never the app: tests, docs, migrations, environments.
_SKIPPED_PARTS = frozenset(
    {"tests", "test", "docs", "doc", "migrations", "alembic", "__pycache__", "node_modules",
     "venv", "env", "site-packages", "build", "dist"}
)  # fmt: skip
# Root-level modules that are tools, not the app.
SKIPPED_ROOT_MODULES = frozenset({"manage", "setup", "conftest", "noxfile", "fabfile", "tasks"})
_MAX_DEPTH = 5  # an application's modules sit a few directories deep, never more


@dataclass(frozen=True, kw_only=True)
class AppCandidate:
    module: str  # "pkg.web"
    attribute: str  # "create_app" or "app"
    factory: bool
    framework: str | None  # from the constructor seen; None for a factory whose body hides it
    path: str  # relative to the project root
    made_by: str | None = None  # for an object: the factory it was made with, `app = f()`
    made_with_arguments: bool = False  # `app = create_app(Config)`
    note: str = ""  # why it was chosen among others, for people

    @property
    def app(self) -> str:
        suffix = "()" if self.factory else ""
        return f"{self.module}:{self.attribute}{suffix}"

    @property
    def found_in(self) -> str:
        arguments = "..." if self.made_with_arguments else ""
        made = f" = {self.made_by}({arguments})" if self.made_by else ""
        why = f" ({self.note})" if self.note else ""
        return f"{self.path}: {self.attribute}{'()' if self.factory else ''}{made}{why}"


def modules(project: Project) -> Iterator[tuple[str, Path]]:
    """(dotted name, file) of every module the project ships; for an application (no package),
    every module under its directory, with or without `__init__.py` (namespace packages import
    from the working directory just the same)."""
    if not project.package_mode:
        yield from _modules_under(project.root)
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
        if _SKIPPED_PARTS.intersection(parts) or len(parts) > _MAX_DEPTH:
            continue
        if not all(part.isidentifier() for part in parts):
            continue  # not importable by a dotted name
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join((name, *parts)), file


# Never the project's own code: environments, build outputs, caches (and hidden directories).
_NOT_PROJECT = frozenset(
    {"venv", "env", "node_modules", "site-packages", "__pycache__", "build", "dist"}
)


def python_files(root: Path) -> Iterator[Path]:
    """Every .py file under `root`, wherever it sits (a directory that is no Python name too),
    less environments, build outputs and hidden directories; in a stable order."""
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _NOT_PROJECT and not d.startswith("."))
        yield from (Path(directory, f) for f in sorted(files) if f.endswith(".py"))


def parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return None  # not ours to judge: the build reports broken sources


def app_candidates(project: Project) -> list[AppCandidate]:
    """Apps and factories in the project's modules, or, when its packages hold none, in the
    modules beside them (`poetry new` made an empty package, and the app is a root app.py).
    A factory that a module-level object is made with (`app = create_app()`) is represented by
    that object: it is the entry point."""
    return _candidates_in(project, modules(project)) or _candidates_in(
        project, beside_packages(project)
    )


def beside_packages(project: Project) -> Iterator[tuple[str, Path]]:
    """In package mode, the modules the packages leave out: at the root, in its directories
    and in src/, all shipped with the sources and importable from the working directory."""
    if not project.package_mode:
        return
    packaged = [(project.root / p.path).resolve() for p in project.packages]
    for module, path in _modules_under(project.root):
        resolved = path.resolve()
        if not any(resolved == p or resolved.is_relative_to(p) for p in packaged):
            yield module, path


def _modules_under(directory: Path) -> Iterator[tuple[str, Path]]:
    """Every module under `directory` (the project's, or one no import reaches), named as
    imported from there: its root modules (less tools such as setup.py) and those of its
    directories (less tests, docs, environments)."""
    for file in sorted(directory.glob("*.py")):
        if file.stem not in SKIPPED_ROOT_MODULES:
            yield file.stem, file
    for child in sorted(p for p in directory.iterdir() if p.is_dir()):
        if child.name.isidentifier() and child.name not in _SKIPPED_PARTS:
            yield from _package_modules(child.name, child)


def apps_in_unimportable_directories(project: Project) -> list[tuple[str, AppCandidate]]:
    """(directory, app) for apps in the project's top-level directories whose name is no
    Python name (`broken-flask/main.py`): nothing imports them from the root, so they are no
    candidates; their modules are named as imported from inside the directory."""
    found = []
    for directory in sorted(p for p in project.root.iterdir() if p.is_dir()):
        if directory.name.isidentifier() or directory.name.startswith("."):
            continue
        found += [(directory.name, c) for c in _candidates_in(project, _modules_under(directory))]
    return found


def _candidates_in(
    project: Project, found_modules: Iterable[tuple[str, Path]]
) -> list[AppCandidate]:
    parsed: list[tuple[str, str, ast.Module]] = []
    for module, file in found_modules:
        tree = parse(file)
        if tree is not None:
            parsed.append((module, file.relative_to(project.root).as_posix(), tree))
    classes = _framework_subclasses([tree for _, _, tree in parsed])
    found = [c for module, path, tree in parsed for c in _factories_in(tree, module, path, classes)]
    # What an object can be made with: the factories, and functions of any signature that
    # return a framework's app (`app = create_app(Config)`); the first of a name, for lookups.
    makers: dict[str, str | None] = {}
    for _, _, tree in parsed:
        for name, framework in _makers_in(tree, classes):
            makers.setdefault(name, framework)
    for module, relative, tree in parsed:
        found += _objects_in(tree, module, relative, makers, classes)
    used = {c.made_by for c in found if c.made_by}
    kept = [c for c in found if not (c.factory and c.attribute in used)]
    return sorted(kept, key=lambda c: c.path)  # stable: a module's candidates in its order


def _framework_subclasses(trees: Sequence[ast.Module]) -> dict[str, str]:
    """Class name -> framework, for the project's module-level subclasses of a framework's app
    class (`class API(FastAPI)`), and theirs in turn: their instances are that framework's."""
    found: dict[str, str] = {}
    classes = [n for tree in trees for n in tree.body if isinstance(n, ast.ClassDef)]
    while True:
        more = {
            c.name: framework
            for c in classes
            if c.name not in found and c.name not in CONSTRUCTORS
            for base in c.bases
            if (name := called_name(base))
            and (framework := CONSTRUCTORS.get(name) or found.get(name))
        }
        if not more:
            return found
        found |= more


def _factories_in(
    tree: ast.Module, module: str, path: str, classes: Mapping[str, str]
) -> Iterator[AppCandidate]:
    """Module-level functions, callable without arguments, that return a framework's app:
    known by name, or of any name when their body returns a constructor's result."""
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not callable_without_arguments(node):
            continue
        framework = _returned_framework(node, classes)
        if framework or node.name in FACTORY_NAMES:
            yield AppCandidate(
                module=module, attribute=node.name, factory=True, framework=framework, path=path
            )


def _makers_in(tree: ast.Module, classes: Mapping[str, str]) -> Iterator[tuple[str, str | None]]:
    """(name, framework) of module-level functions that return a framework's app, or that are
    named like a factory, whatever arguments they take: the factories of `_factories_in`, and
    those that need arguments."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            framework = _returned_framework(node, classes)
            if framework or node.name in FACTORY_NAMES:
                yield node.name, framework


def _returned_framework(function: ast.FunctionDef, classes: Mapping[str, str]) -> str | None:
    """`return Flask(...)`, or `app = FastAPI(...)` ... `return app`, in the function's body."""
    constructed: dict[str, str] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and (
            framework := constructed_framework(node.value, classes)
        ):
            constructed |= {t.id: framework for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(function):
        if isinstance(node, ast.Return):
            if framework := constructed_framework(node.value, classes):
                return framework
            if isinstance(node.value, ast.Name) and node.value.id in constructed:
                return constructed[node.value.id]
    return None


def _objects_in(
    tree: ast.Module, module: str, path: str, makers: dict[str, str | None],
    classes: Mapping[str, str],
) -> Iterator[AppCandidate]:  # fmt: skip
    """Module-level `app = Flask(...)` (or of a subclass of Flask), `app = some_factory(...)`
    of a factory seen, and `app: Sanic = anything(...)`: the annotation names the framework."""
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        framework = constructed_framework(node.value, classes)
        made_by = _called_factory(node.value, makers)
        if made_by is not None:
            framework = makers[made_by] or framework
        if isinstance(node, ast.AnnAssign) and framework is None:
            framework = _named_framework(node.annotation)
        if framework is None and made_by is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                yield AppCandidate(
                    module=module, attribute=target.id, factory=False, framework=framework,
                    path=path, made_by=made_by,
                    made_with_arguments=made_by is not None and _has_arguments(node.value),
                )  # fmt: skip


def _called_factory(node: ast.AST | None, makers: dict[str, str | None]) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    name = called_name(node.func)
    return name if name in makers else None


def _has_arguments(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and bool(node.args or node.keywords)


def called_name(node: ast.AST) -> str | None:
    """`name` or `module.name` -> "name"."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return name if isinstance(name, str) else None


def _named_framework(annotation: ast.AST) -> str | None:
    """`Sanic` or `sanic.Sanic` as an annotation -> "sanic"."""
    name = called_name(annotation)
    return CONSTRUCTORS.get(name) if name else None


def callable_without_arguments(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    missing_positional = len(positional) - len(args.defaults)
    missing_keyword = sum(default is None for default in args.kw_defaults)
    return missing_positional == 0 and missing_keyword == 0


def constructed_framework(
    node: ast.AST | None, classes: Mapping[str, str] | None = None
) -> str | None:
    """`Flask(...)` or `flask.Flask(...)` -> "flask", and an instance of one of `classes` (the
    project's subclasses of a framework's class); anything else -> None."""
    if not isinstance(node, ast.Call):
        return None
    name = called_name(node.func)
    return (CONSTRUCTORS.get(name) or (classes or {}).get(name)) if name else None


def entry_modules(project: Project) -> list[tuple[str, Path]]:
    """The project's modules named `wsgi` or `asgi`, wherever they sit."""
    found = {
        module: path
        for module, path in (*modules(project), *_root_modules(project))
        if module.rpartition(".")[2] in ("wsgi", "asgi")
    }
    return sorted(found.items())


def _root_modules(project: Project) -> Iterator[tuple[str, Path]]:
    """Modules importable from the project's root (the working directory the image runs in),
    also when they are outside the packages it ships."""
    if not project.package_mode:
        return  # `modules` already walks the whole root
    for file in sorted(project.root.glob("*.py")):
        yield file.stem, file
    for directory in sorted(p for p in project.root.iterdir() if p.is_dir()):
        if directory.name.isidentifier() and directory.name not in (*_SKIPPED_PARTS, "src"):
            yield from _package_modules(directory.name, directory)


def module_file(project: Project, dotted: str) -> Path | None:
    """Where a dotted module of the project lives: `mysite.settings` -> mysite/settings.py, or
    a package's mysite/settings/__init__.py; from the root too when it is not packaged."""
    for module, path in modules(project):
        if module == dotted:
            return path
    if not all(part.isidentifier() for part in dotted.split(".")):
        return None
    relative = Path(*dotted.split("."))
    for base in (project.root, project.root / "src"):
        for path in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
            if path.is_file():
                return path
    return None


def imported_names(tree: ast.Module) -> list[str]:
    """The dotted names the module's own statements import (`import a.b`, `from a.b import c`
    -> "a.b"); relative imports are the project's own."""
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def imported_module(node: ast.ImportFrom, package: str) -> str | None:
    """The absolute module a `from ... import` reads, in a module of `package` (the module's
    own name for an __init__.py, its parent's otherwise): `from .base import *` in
    mysite.settings -> "mysite.base". None beyond the top-level package, which Python refuses."""
    if node.level == 0:
        return node.module
    parts = package.split(".") if package else []
    base = parts[: len(parts) - node.level + 1]  # level 1 is the package itself
    if not base:
        return None
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(tree: ast.Module, library: str) -> bool:
    """The module imports `library` (or a submodule of it) at its top level."""
    return any(n == library or n.startswith(f"{library}.") for n in imported_names(tree))


def importing_modules(project: Project, library: str) -> list[tuple[str, Path]]:
    """The project's modules that import `library`: where a script or a bot lives."""
    found = []
    for module, path in modules(project):
        tree = parse(path)
        if tree is not None and imports(tree, library):
            found.append((module, path))
    return found


def is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":`, alone or first of an `and`
    (`if __name__ == "__main__" and settings.mode == "production":`)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        test = test.values[0]
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )
