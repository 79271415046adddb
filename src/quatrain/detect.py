"""How the project is served, found by reading its source with `ast`, never by importing it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from quatrain.errors import DetectionError, ProjectError
from quatrain.options import Options
from quatrain.project import Project

FACTORY_NAMES = ("create_app", "make_app")


@dataclass(frozen=True, kw_only=True)
class ServeSpec:
    """What the images run: the app, the production server and the development server."""

    framework: str  # "flask"
    app: str  # what the server loads: "pkg:create_app()"
    production_command: tuple[str, ...]
    development_command: tuple[str, ...]
    development_env: tuple[tuple[str, str], ...]  # sorted (name, value) pairs
    production_server: str  # the distribution that must be locked: "gunicorn"
    http: bool = True


@dataclass(frozen=True, kw_only=True)
class Candidate:
    module: str  # "pkg.app"
    attribute: str  # "create_app" or "app"
    factory: bool

    @property
    def app(self) -> str:
        return (
            f"{self.module}:{self.attribute}()"
            if self.factory
            else f"{self.module}:{self.attribute}"
        )


class Detector(Protocol):
    """Looks at a project and says how it is served, or that it is not its kind."""

    name: ClassVar[str]
    looks_for: ClassVar[str]  # one line for the error when nothing matches

    def detect(self, project: Project, options: Options) -> ServeSpec | None: ...


class FlaskDetector:
    name: ClassVar[str] = "flask"
    looks_for: ClassVar[str] = (
        "a Flask dependency and, in the project's packages, a module-level "
        "`create_app()`/`make_app()` factory or an `app = Flask(...)` object"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "flask" not in project.dependencies:
            return None
        if options.app is not None:
            return flask_spec(options.app, options)
        candidates = list(_flask_candidates(project))
        if not candidates:
            return None
        if len(candidates) > 1:
            found = ", ".join(f"`{c.app}`" for c in candidates)
            msg = (
                f"Found more than one Flask app in {project.name}: {found}. "
                'Choose one with app = "..." in [tool.quatrain] or --app.'
            )
            raise DetectionError(msg)
        return flask_spec(candidates[0].app, options)


DETECTORS: tuple[Detector, ...] = (FlaskDetector(),)


def detect(project: Project, options: Options) -> ServeSpec:
    """Ask each detector in order; the first that recognises the project wins."""
    for detector in DETECTORS:
        spec = detector.detect(project, options)
        if spec is not None:
            _check_server_locked(project, spec)
            return spec
    looked = "; ".join(f"{d.name}: {d.looks_for}" for d in DETECTORS)
    msg = (
        f"quatrain cannot tell how {project.name} is served. It looked for {looked}. "
        'Name the app with app = "module:attribute" in [tool.quatrain] or --app.'
    )
    raise DetectionError(msg)


def flask_spec(app: str, options: Options) -> ServeSpec:
    return ServeSpec(
        framework="flask",
        app=app,
        production_command=gunicorn_command(app, options),
        # `flask run` needs the port on its command line; `sh -c` expands $PORT and `exec`
        # hands PID 1 over to the server.
        development_command=("sh", "-c", 'exec flask run --host 0.0.0.0 --port "$PORT"'),
        development_env=(("FLASK_APP", app), ("FLASK_DEBUG", "1")),
        production_server="gunicorn",
    )


def gunicorn_command(app: str, options: Options) -> tuple[str, ...]:
    # gunicorn binds 0.0.0.0:$PORT and reads $WEB_CONCURRENCY by itself, so no shell and no
    # eval are needed. The graceful timeout stays under `docker stop`'s 10 s before SIGKILL.
    return (
        "gunicorn",
        "--access-logfile=-",
        "--graceful-timeout=8",
        f"--threads={options.threads}",
        "--worker-tmp-dir=/dev/shm",
        app,
    )


def _check_server_locked(project: Project, spec: ServeSpec) -> None:
    assert project.lock is not None, "the pipeline checks the lock before detection"
    locked = project.lock.package(spec.production_server)
    if locked is None or "main" not in locked.groups:
        msg = (
            f"The production image serves {project.name} with {spec.production_server}, "
            f"but {spec.production_server} is not among the project's locked runtime "
            f"dependencies. Run `poetry add {spec.production_server}` and build again."
        )
        raise ProjectError(msg)


def _flask_candidates(project: Project) -> Iterator[Candidate]:
    for package in project.packages:
        for module, path in _modules(project.root, package.name, package.path):
            yield from _flask_apps_in(module, path)


def _modules(root: Path, import_name: str, path: str) -> Iterator[tuple[str, Path]]:
    location = root / path
    if location.is_file():
        yield import_name, location
        return
    for file in sorted(location.rglob("*.py")):
        parts = file.relative_to(location).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join((import_name, *parts)), file


def _flask_apps_in(module: str, path: Path) -> Iterator[Candidate]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError):
        return  # not ours to judge: the build will report it
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in FACTORY_NAMES:
            if _callable_without_arguments(node):
                yield Candidate(module=module, attribute=node.name, factory=True)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and _is_flask_call(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    yield Candidate(module=module, attribute=target.id, factory=False)


def _callable_without_arguments(node: ast.FunctionDef) -> bool:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    missing_positional = len(positional) - len(args.defaults)
    missing_keyword = sum(default is None for default in args.kw_defaults)
    return missing_positional == 0 and missing_keyword == 0


def _is_flask_call(value: ast.expr | None) -> bool:
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    return (isinstance(func, ast.Name) and func.id == "Flask") or (
        isinstance(func, ast.Attribute) and func.attr == "Flask"
    )
