"""One detector per kind of app. Each reads the project (never runs it) and returns a ServeSpec,
None when the project is not its kind, or raises DetectionError when it is but is ambiguous."""

from __future__ import annotations

import ast
import dataclasses
from typing import ClassVar

from quatrain import servers, source
from quatrain.errors import DetectionError
from quatrain.main_module import main_modules, run_module
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
            brought_packages=server.brought,
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
            brought_packages=server.brought,
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
        site = _site_directory(project)
        if site is None:
            spec = self._detect_in(project, options)
        else:
            # The Django project lives one directory down (repo/site/manage.py): read it from
            # there, as Django runs it, and serve it from there.
            inner = dataclasses.replace(
                project, root=project.root / site, package_mode=False, packages=()
            )
            found = self._detect_in(inner, options)
            spec = _served_from(found, site) if found is not None else None
        if spec is None or not spec.production_steps:
            return spec
        return dataclasses.replace(spec, node_packages=_collects_from_npm(project))

    def _detect_in(self, project: Project, options: Options) -> ServeSpec | None:
        entries = list(source.django_entries(project))
        named = [(where, m) for where, tree in entries if (m := _settings_named(tree))]
        found = next(((w, s) for w, m in named if (s := source.read_settings(project, m))), None)
        if found is not None:
            return self._spec(project, options, *found)
        # A Django site: a manage.py, or a module that names its settings. An asgi.py alone
        # may be a FastAPI app in a project that only uses Django's ORM.
        site = bool(named) or any(where == "manage.py" for where, _ in entries)
        if options.app is not None and (site or options.serve == self.name):
            return self._spec_of_app(project, options)
        if site:
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
            brought_packages=server.brought,
            production_steps=("python -m django collectstatic --noinput",) if static else (),
        )


def _collects_from_npm(project: Project) -> bool:
    """django-npm's NpmFinder makes collectstatic read node_modules: it is locked, and the
    project's root has the npm lock to install them from."""
    return any(p.name == "django-npm" for p in _lock(project).packages) and all(
        (project.root / name).is_file() for name in ("package.json", "package-lock.json")
    )


def _site_directory(project: Project) -> str | None:
    """The directory one level down that holds manage.py, when the root has none."""
    if (project.root / "manage.py").is_file():
        return None
    found = [
        d.name
        for d in sorted(project.root.iterdir())
        if d.is_dir() and d.name.isidentifier() and (d / "manage.py").is_file()
    ]
    return found[0] if len(found) == 1 else None


def _served_from(spec: ServeSpec, site: str) -> ServeSpec:
    """A spec read inside `site`, served from the project's root: gunicorn changes into it
    (an identifier, so safe in a shell step too)."""
    if spec.production_command[:1] != ("gunicorn",):
        msg = (
            f"The Django project is in {site}/, and quatrain serves one there only with gunicorn. "
            f'Set command = ["...", ...] in [tool.quatrain] to run it from {site}/.'
        )
        raise DetectionError(msg)
    return dataclasses.replace(
        spec,
        found_in=f"{site}/{spec.found_in}",
        production_command=("gunicorn", f"--chdir={site}", *spec.production_command[1:]),
        development_command=servers.in_shell(f'python {site}/manage.py runserver "0.0.0.0:$PORT"'),
        production_steps=tuple(f"cd {site} && {step}" for step in spec.production_steps),
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
        if scripts and not project.package_mode:
            if options.command:
                return None  # the command option says what runs
            # Poetry installs a project's scripts with the project; an application is never
            # installed, so the image would have no such command.
            msg = (
                f"{project.name} declares console scripts ({', '.join(scripts)}), but it is an "
                "application (no package Poetry would install), so production has no such "
                "command. Declare the package that holds them in [tool.poetry] packages, or set "
                'command = ["python", "-m", "MODULE"] (or the script\'s file) in [tool.quatrain].'
            )
            raise DetectionError(msg)
        if options.app is not None and scripts:
            if options.app not in scripts:
                msg = (
                    f"app = {options.app!r} names no console script of {project.name} "
                    f"(it has {', '.join(scripts)})."
                )
                raise DetectionError(msg)
            script = options.app
        elif len(set(scripts.values())) == 1:
            # One program under several names (commitizen's cz and git-cz): the shortest.
            script = min(scripts, key=lambda name: (len(name), name))
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


class DashDetector:
    """Dash serves through its Flask server, a WSGI app: gunicorn loads `module:server`.
    gunicorn takes a name or a call, never `app.server`, so the module must bind the server to
    a name, as Dash's deployment guide writes it (`server = app.server`)."""

    name: ClassVar[str] = "dash"
    looks_for: ClassVar[str] = (
        "a dash dependency and a module-level `app = Dash(...)` with `server = app.server`"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "dash" not in project.dependencies:
            return None
        if options.app:
            app, found_in = options.app, "the app option"
        else:
            candidate = _only_candidate(project, ("dash",))
            if candidate is None:
                return None
            app, found_in = _dash_server(project, candidate)
        server = servers.wsgi_server(app, _lock(project), options, project.name)
        return ServeSpec(
            detector=self.name,
            kind="wsgi",
            framework="dash",
            app=app,
            found_in=found_in,
            production_command=server.command,
            development_command=(*server.command[:-1], "--reload", server.command[-1]),
            production_server=server.requires,
            brought_packages=server.brought,
        )


def _dash_server(project: Project, candidate: AppCandidate) -> tuple[str, str]:
    tree = source.parse(project.root / candidate.path)
    names = source.aliases_of_attribute(tree, candidate.attribute, "server") if tree else []
    if candidate.factory or not names:
        msg = (
            f"{project.name} has a Dash app, `{candidate.app}` ({candidate.found_in}), but no "
            f"module-level name for its Flask server, which is what gunicorn serves (gunicorn "
            f"loads a name or a call, not `{candidate.attribute}.server`). Add "
            f"`server = {candidate.attribute}.server` to {candidate.path}, or set "
            'app = "module:server" in [tool.quatrain] (or --app).'
        )
        raise DetectionError(msg)
    return (
        f"{candidate.module}:{names[0]}",
        f"{candidate.path}: {names[0]} = {candidate.attribute}.server",
    )


class StreamlitDetector:
    """A Streamlit app is a script that Streamlit's own server runs: `streamlit run FILE`."""

    name: ClassVar[str] = "streamlit"
    looks_for: ClassVar[str] = (
        "a streamlit dependency and one script that imports streamlit (outside pages/), or "
        'app = "path/to/app.py"'
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "streamlit" not in project.dependencies:
            return None
        script, found_in = _streamlit_script(project, options)
        if script is None:
            return None
        if not servers.locked_in_main(_lock(project), "streamlit"):
            raise servers.missing_server(
                project.name, "streamlit", "a Streamlit app", _lock(project)
            )
        # Streamlit takes the port only as a flag (or STREAMLIT_SERVER_PORT): a shell expands
        # $PORT, and the script's path is "$1", never parsed as shell.
        flags = '--server.port "$PORT" --server.address 0.0.0.0 --server.headless true'
        return ServeSpec(
            detector=self.name,
            kind="http",
            framework="streamlit",
            app=script,
            found_in=found_in,
            production_command=servers.in_shell_with(f'streamlit run "$1" {flags}', script),
            development_command=servers.in_shell_with(
                f'streamlit run "$1" {flags} --server.runOnSave true', script
            ),
            production_server="streamlit",
        )


def _streamlit_script(project: Project, options: Options) -> tuple[str | None, str]:
    if options.app:
        if not options.app.endswith(".py") or not (project.root / options.app).is_file():
            msg = (
                f"app = {options.app!r} is no Python script of {project.name}. For Streamlit, "
                'app is the script\'s path from the project directory, e.g. app = "app.py".'
            )
            raise DetectionError(msg)
        return options.app, "the app option"
    found = sorted(
        path.relative_to(project.root).as_posix()
        for _, path in source.importing_modules(project, "streamlit")
        if "pages" not in path.relative_to(project.root).parts[:-1]
    )
    if len(found) > 1 and "streamlit_app.py" in found:
        found = ["streamlit_app.py"]  # Streamlit Community Cloud's default entry point
    if len(found) > 1:
        msg = (
            f"{project.name} has several scripts that import streamlit ({', '.join(found)}). "
            'Say which one is the app: app = "path/to/app.py" in [tool.quatrain] (or --app).'
        )
        raise DetectionError(msg)
    return (found[0], f"{found[0]}: import streamlit") if found else (None, "")


class AiohttpDetector:
    """aiohttp in production: gunicorn with aiohttp's own worker when gunicorn is locked, else
    aiohttp's command line (`python -m aiohttp.web`), which needs a factory taking argv."""

    name: ClassVar[str] = "aiohttp"
    looks_for: ClassVar[str] = (
        "an aiohttp dependency and a module-level `app = web.Application()` or a function "
        "returning one, in a module that imports aiohttp"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "aiohttp" not in project.dependencies:
            return None
        found = source.aiohttp_apps(project)
        chosen = [a for a in found if options.app in (None, _aiohttp_target(a))]
        if options.app and not chosen:
            chosen = [source.AiohttpApp(module="", attribute=options.app, path="", kind="given")]
        if not chosen:
            return None
        if len(chosen) > 1:
            listed = ", ".join(f"`{_aiohttp_target(a)}` ({a.path})" for a in chosen)
            msg = (
                f"Found more than one aiohttp app in {project.name}: {listed}. Choose one with "
                'app = "module:attribute" in [tool.quatrain] (or --app).'
            )
            raise DetectionError(msg)
        return self._spec(project, options, chosen[0])

    def _spec(self, project: Project, options: Options, app: source.AiohttpApp) -> ServeSpec:
        target = _aiohttp_target(app)
        lock = _lock(project)
        if servers.locked_in_main(lock, "gunicorn") and app.kind != "argv":
            production = servers.gunicorn(target, options, lock, worker="aiohttp.GunicornWebWorker")
            development = (*production[:-1], "--reload", production[-1])
            server = "gunicorn"
        elif app.kind in ("argv", "given"):
            production = servers.in_shell_with(
                'python -m aiohttp.web -H 0.0.0.0 -P "$PORT" "$1"', target
            )
            development, server = production, "aiohttp"
        elif (top := app.module.split(".")[0]) in main_modules(project):
            # No gunicorn, but the project runs itself (`web.run_app` in its __main__.py), on
            # a port its own settings choose: run that, and check that it stays up.
            return run_module(project, top, "aiohttp", self.name)
        else:
            raise servers.missing_server(project.name, "gunicorn", "an aiohttp app", lock)
        return ServeSpec(
            detector=self.name,
            kind="http",
            framework="aiohttp",
            app=target,
            found_in=f"{app.path}: {app.attribute}" if app.path else "the app option",
            production_command=production,
            development_command=development,
            production_server=server,
        )


def _aiohttp_target(app: source.AiohttpApp) -> str:
    if app.kind == "given":
        return app.attribute
    # gunicorn calls a sync factory given as `f()`, and awaits a coroutine function given bare.
    call = "()" if app.kind == "factory" else ""
    return f"{app.module}:{app.attribute}{call}"


class CeleryDetector:
    """A Celery app's image runs a worker: it serves no port, so it is verified by staying up."""

    name: ClassVar[str] = "celery"
    looks_for: ClassVar[str] = "a celery dependency and a module-level `app = Celery(...)`"

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "celery" not in project.dependencies:
            return None
        if options.app:
            target, found_in = options.app, "the app option"
        else:
            candidate = _only_candidate(project, ("celery",))
            if candidate is None:
                return None
            # `-A module` finds `app` or `celery` itself; any other name is given.
            plain = candidate.attribute in ("app", "celery") and not candidate.factory
            target = candidate.module if plain else candidate.app
            found_in = candidate.found_in
        command = ("celery", "-A", target, "worker", "--loglevel=INFO")
        return ServeSpec(
            detector=self.name,
            kind="worker",
            framework="celery",
            app=target,
            found_in=found_in,
            production_command=command,
            development_command=command,
            production_server="celery",
        )


class CommandDetector:
    """The command option names a long-running process that no detector recognised (a bot, an
    RQ worker): run it, and verify it stays up."""

    name: ClassVar[str] = "command"
    looks_for: ClassVar[str] = "a command = [...] in [tool.quatrain] for a long-running process"

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if not options.command:
            return None
        return ServeSpec(
            detector=self.name,
            kind="worker",
            framework="command",
            app=" ".join(options.command),
            found_in="the command option",
            production_command=options.command,
            development_command=options.command,
        )
