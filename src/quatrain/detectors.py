"""One detector per kind of app. Each reads the project (never runs it) and returns a ServeSpec,
None when the project is not its kind, or raises DetectionError when it is but is ambiguous."""

from __future__ import annotations

import ast
from typing import ClassVar

from quatrain import servers, source
from quatrain.errors import DetectionError
from quatrain.options import Options
from quatrain.project import Lock, Project
from quatrain.source import AppCandidate
from quatrain.spec import ServeSpec

ASGI_FRAMEWORKS = ("fastapi", "starlette", "litestar", "quart")


def _framework_of(candidate: AppCandidate, project: Project) -> str | None:
    """A factory whose body hides the constructor belongs to the framework the project uses."""
    if candidate.framework:
        return candidate.framework
    if "flask" in project.dependencies:
        return "flask"
    return next((f for f in ASGI_FRAMEWORKS if f in project.dependencies), None)


def _only_candidate(project: Project, frameworks: tuple[str, ...]) -> AppCandidate | None:
    found = [c for c in source.app_candidates(project) if _framework_of(c, project) in frameworks]
    if len(found) > 1:
        listed = ", ".join(f"`{c.app}` ({c.found_in})" for c in found)
        msg = (
            f"Found more than one app in {project.name}: {listed}. Choose one with "
            'app = "module:attribute" in [tool.quatrain] (or --app).'
        )
        raise DetectionError(msg)
    return found[0] if found else None


def _chosen_app(
    project: Project, options: Options, frameworks: tuple[str, ...]
) -> tuple[str, str, str | None] | None:
    """(app, where it was found, framework seen), from the app option or the only candidate."""
    if options.app:
        return options.app, "the app option", None
    candidate = _only_candidate(project, frameworks)
    if candidate is None:
        return None
    return candidate.app, candidate.found_in, candidate.framework


def _lock(project: Project) -> Lock:
    assert project.lock is not None, "the pipeline checks the lock before detection"
    return project.lock


class FlaskDetector:
    name: ClassVar[str] = "flask"
    looks_for: ClassVar[str] = (
        "a flask dependency and a module-level `create_app()`/`make_app()` factory or "
        "`app = Flask(...)` object in the project's modules"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "flask" not in project.dependencies:
            return None
        chosen = _chosen_app(project, options, ("flask",))
        if chosen is None:
            return None
        app, found_in, _ = chosen
        server = servers.wsgi_server(app, _lock(project), options, project.name)
        return ServeSpec(
            detector=self.name,
            kind="wsgi",
            framework="flask",
            app=app,
            found_in=found_in,
            production_command=server.command,
            development_command=servers.in_shell('flask run --host 0.0.0.0 --port "$PORT"'),
            development_env=(("FLASK_APP", app), ("FLASK_DEBUG", "1")),
            production_server=server.requires,
        )


class AsgiDetector:
    name: ClassVar[str] = "asgi"
    looks_for: ClassVar[str] = (
        f"a dependency on one of {', '.join(ASGI_FRAMEWORKS)} and a module-level app object "
        "(`app = FastAPI()`, ...) or `create_app()` factory"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        frameworks = tuple(f for f in ASGI_FRAMEWORKS if f in project.dependencies)
        if not frameworks:
            return None
        chosen = _chosen_app(project, options, frameworks)
        if chosen is None:
            return None
        app, found_in, framework = chosen
        lock = _lock(project)
        server = servers.asgi_server(app, lock, options, project.name)
        return ServeSpec(
            detector=self.name,
            kind="asgi",
            framework=framework or frameworks[0],
            app=app,
            found_in=found_in,
            production_command=server.command,
            development_command=servers.asgi_development(app, lock, server),
            production_server=server.requires,
        )


class DjangoDetector:
    name: ClassVar[str] = "django"
    looks_for: ClassVar[str] = (
        "a django dependency, a manage.py that names DJANGO_SETTINGS_MODULE, and that "
        "settings module's WSGI_APPLICATION or ASGI_APPLICATION"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        manage = source.parse(project.root / "manage.py")
        if "django" not in project.dependencies or manage is None:
            return None
        settings_module = source.environ_default(manage, "DJANGO_SETTINGS_MODULE")
        settings_file = source.module_file(project, settings_module) if settings_module else None
        settings = source.parse(settings_file) if settings_file else None
        if settings_module is None or settings is None:
            msg = (
                f"{project.name} has a manage.py, but quatrain could not find its settings "
                "module among the project's packages (manage.py should call "
                'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pkg.settings")).'
            )
            raise DetectionError(msg)
        return self._spec(project, options, settings_module, settings)

    def _spec(
        self, project: Project, options: Options, settings_module: str, settings: ast.Module
    ) -> ServeSpec:
        values = source.string_assignments(settings)
        lock = _lock(project)
        use_asgi = "ASGI_APPLICATION" in values and (
            servers.locked_in_main(lock, "uvicorn")
            or servers.locked_in_main(lock, "uvicorn-worker")
        )
        setting = "ASGI_APPLICATION" if use_asgi else "WSGI_APPLICATION"
        # Django's project template puts wsgi.py beside settings.py.
        beside = settings_module.rpartition(".")[0]
        fallback = f"{beside}.wsgi.application" if beside else "wsgi.application"
        module, _, attribute = values.get(setting, fallback).rpartition(".")
        app = options.app or f"{module}:{attribute}"
        choose = servers.asgi_server if use_asgi else servers.wsgi_server
        server = choose(app, lock, options, project.name)
        installed = source.string_lists(settings).get("INSTALLED_APPS", [])
        static = "django.contrib.staticfiles" in installed and "STATIC_ROOT" in (
            source.assigned_names(settings)
        )
        return ServeSpec(
            detector=self.name,
            kind="asgi" if use_asgi else "wsgi",
            framework="django",
            app=app,
            found_in=f"manage.py -> {settings_module}.{setting}",
            production_command=server.command,
            development_command=servers.in_shell('python manage.py runserver "0.0.0.0:$PORT"'),
            production_env=(("DJANGO_SETTINGS_MODULE", settings_module),),
            development_env=(("DJANGO_SETTINGS_MODULE", settings_module),),
            production_server=server.requires,
            production_steps=("python -m django collectstatic --noinput",) if static else (),
        )


class ConsoleScriptDetector:
    name: ClassVar[str] = "console-script"
    looks_for: ClassVar[str] = "one console script in [project.scripts] or [tool.poetry.scripts]"

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        scripts = project.scripts
        if options.app is not None and scripts:
            if options.app not in scripts:
                msg = (
                    f"app = {options.app!r} names no console script of {project.name} "
                    f"(it has {', '.join(scripts)})."
                )
                raise DetectionError(msg)
            script = options.app
        elif len(scripts) == 1:
            script = next(iter(scripts))
        elif not scripts:
            return None
        else:
            msg = (
                f"{project.name} has several console scripts ({', '.join(scripts)}) and no web "
                'app. Choose the image\'s entry point with app = "NAME" in [tool.quatrain].'
            )
            raise DetectionError(msg)
        return ServeSpec(
            detector=self.name,
            kind="cli",
            framework="console-script",
            app=script,
            found_in=f"scripts: {script} = {scripts[script]}",
            production_entrypoint=(script,),
            production_command=(),
            development_command=(script, "--help"),
        )
