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
        "a django dependency, a manage.py or wsgi.py/asgi.py that names "
        "DJANGO_SETTINGS_MODULE, and that settings module's WSGI_APPLICATION or "
        "ASGI_APPLICATION"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "django" not in project.dependencies:
            return None
        entries = list(source.django_entries(project))
        named = [(where, m) for where, tree in entries if (m := _settings_named(tree))]
        found = next(((w, s) for w, m in named if (s := source.read_settings(project, m))), None)
        if found is not None:
            return self._spec(project, options, *found)
        if options.app is not None and (entries or options.serve == self.name):
            return self._spec_of_app(project, options)
        if named or (entries and entries[0][0] == "manage.py"):
            raise _settings_not_found(project, [m for _, m in named])
        if options.serve == self.name:
            raise _settings_not_found(project, [])
        return None

    def _spec(
        self, project: Project, options: Options, entry: str, settings: source.Settings
    ) -> ServeSpec:
        lock = _lock(project)
        asgi = settings.strings.get("ASGI_APPLICATION", "")
        use_asgi = source.is_dotted_path(asgi) and _asgi_server_locked(lock)
        setting = "ASGI_APPLICATION" if use_asgi else "WSGI_APPLICATION"
        found_in = f"{entry} -> {settings.module}.{setting}"
        if use_asgi:
            module, _, attribute = asgi.rpartition(".")
            app = f"{module}:{attribute}"
        else:
            app, found_in = _wsgi_application(project, entry, settings)
        static = "django.contrib.staticfiles" in settings.lists.get("INSTALLED_APPS", []) and (
            "STATIC_ROOT" in settings.names
        )
        return self._served(
            project, options, app=options.app or app, asgi=use_asgi,
            found_in="the app option" if options.app else found_in,
            settings_module=settings.module, static=static,
        )  # fmt: skip

    def _spec_of_app(self, project: Project, options: Options) -> ServeSpec:
        """The app option, honoured though no settings were found: Django's wsgi.py sets
        DJANGO_SETTINGS_MODULE itself."""
        assert options.app is not None
        module = options.app.partition(":")[0]
        use_asgi = module.rpartition(".")[2] == "asgi" and _asgi_server_locked(_lock(project))
        return self._served(
            project, options, app=options.app, asgi=use_asgi, found_in="the app option",
            settings_module=None, static=False,
        )  # fmt: skip

    def _served(
        self, project: Project, options: Options, *, app: str, asgi: bool, found_in: str,
        settings_module: str | None, static: bool,
    ) -> ServeSpec:  # fmt: skip
        lock = _lock(project)
        choose = servers.asgi_server if asgi else servers.wsgi_server
        server = choose(app, lock, options, project.name)
        env = (("DJANGO_SETTINGS_MODULE", settings_module),) if settings_module else ()
        return ServeSpec(
            detector=self.name,
            kind="asgi" if asgi else "wsgi",
            framework="django",
            app=app,
            found_in=found_in,
            production_command=server.command,
            development_command=servers.in_shell('python manage.py runserver "0.0.0.0:$PORT"'),
            production_env=env,
            development_env=env,
            production_server=server.requires,
            production_steps=("python -m django collectstatic --noinput",) if static else (),
        )


def _settings_named(tree: ast.Module) -> str | None:
    named = source.environ_default(tree, "DJANGO_SETTINGS_MODULE") or ""
    return named if source.is_dotted_path(named) or named.isidentifier() else None


def _asgi_server_locked(lock: Lock) -> bool:
    return servers.locked_in_main(lock, "uvicorn") or servers.locked_in_main(lock, "uvicorn-worker")


def _wsgi_application(project: Project, entry: str, settings: source.Settings) -> tuple[str, str]:
    """(app, where it was seen): WSGI_APPLICATION when it is a literal dotted path, else the
    `wsgi` module beside the settings (or above a settings package), else the one found."""
    value = settings.strings.get("WSGI_APPLICATION", "")
    if source.is_dotted_path(value):
        module, _, attribute = value.rpartition(".")
        return f"{module}:{attribute}", f"{entry} -> {settings.module}.WSGI_APPLICATION"
    parts = settings.module.split(".")[:-1]
    nearby = [".".join([*parts[:n], "wsgi"]) for n in range(len(parts), -1, -1)]
    beside = next((m for m in nearby if source.module_file(project, m)), None)
    anywhere = [m for m, _ in source.entry_modules(project) if m.rpartition(".")[2] == "wsgi"]
    module = beside or (anywhere[0] if len(anywhere) == 1 else "")
    if not module:
        listed = f" (found {', '.join(anywhere)})" if anywhere else " (there is none)"
        msg = (
            f"{project.name}'s settings {settings.module} have no literal WSGI_APPLICATION, and "
            f"quatrain found no single wsgi module to serve instead{listed}. Say which: "
            'app = "module.path:application" in [tool.quatrain] (or --app).'
        )
        raise DetectionError(msg)
    path = source.module_file(project, module)
    where = path.relative_to(project.root).as_posix() if path else module
    return f"{module}:application", f"{entry} -> {settings.module} -> {where}: application"


def _settings_not_found(project: Project, named: list[str]) -> DetectionError:
    which = f" ({', '.join(named)})" if named else ""
    msg = (
        f"{project.name} is a Django site, but quatrain could not find its settings module"
        f"{which} among the project's modules. It reads DJANGO_SETTINGS_MODULE from manage.py "
        'and from wsgi.py/asgi.py (os.environ.setdefault("DJANGO_SETTINGS_MODULE", '
        '"pkg.settings")). Say what to serve: app = "pkg.wsgi:application" in '
        "[tool.quatrain] (or --app)."
    )
    return DetectionError(msg)


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
