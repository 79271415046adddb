"""Django sites: the settings named in manage.py, wsgi.py or asgi.py, the WSGI or ASGI
application they name, collectstatic when they serve static files, a site in a directory below
the root (wherever manage.py is)."""

from __future__ import annotations

import ast
import dataclasses
from typing import ClassVar

from quatrain.detectors import django_settings, servers
from quatrain.detectors.candidates import lock_of
from quatrain.errors import DetectionError
from quatrain.reading import source
from quatrain.reading.project import Lock, Project
from quatrain.settings.options import Options
from quatrain.settings.schema import Serve
from quatrain.spec import ServeSpec

# Static-file storages outside the image: django-storages (S3, Google Cloud, Azure, SFTP, ...)
# and Cloudinary. collectstatic with one of them uploads, so it is a deploy step, not a build's.
REMOTE_STORAGES = ("storages.", "cloudinary_storage.")


class DjangoDetector:
    name: ClassVar[Serve] = "django"
    fallback: ClassVar[bool] = False
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
            # The Django project lives in a directory below (repo/backend/manage.py): read it
            # from there, as Django runs it, and serve it from there.
            inner = dataclasses.replace(
                project, root=project.root / site, package_mode=False, packages=()
            )
            found = self._detect_in(inner, options)
            spec = _served_from(found, site) if found is not None else None
        if spec is None or not spec.production_steps:
            return spec
        return dataclasses.replace(spec, node_packages=_collects_from_npm(project))

    def _detect_in(self, project: Project, options: Options) -> ServeSpec | None:
        entries = list(django_settings.django_entries(project))
        named = [(where, m) for where, tree in entries if (m := _settings_named(tree))]
        readable = [(w, s) for w, m in named if (s := django_settings.read_settings(project, m))]
        if readable:
            spec = self._spec(project, options, *readable[0])
            return self._with_served_settings(project, options, spec, readable)
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

    def _with_served_settings(
        self, project: Project, options: Options, spec: ServeSpec,
        readable: list[tuple[str, django_settings.Settings]],
    ) -> ServeSpec:  # fmt: skip
        """Production with the settings its served module names, where they differ from
        manage.py's: `core/wsgi.py` says core.settings.production and manage.py
        core.settings.development (AsankaL/django-starter, and cookiecutter-django's
        local/production split). Development keeps manage.py's, as runserver does."""
        module = spec.app.partition(":")[0]
        path = source.module_file(project, module)
        served = path.relative_to(project.root).as_posix() if path else None
        development = spec.development_env
        for where, settings in readable[1:]:
            if where == served and ("DJANGO_SETTINGS_MODULE", settings.module) not in development:
                production = self._spec(project, options, where, settings)
                return dataclasses.replace(
                    production,
                    found_in=f"{production.found_in} ({readable[0][0]} names "
                    f"{readable[0][1].module}, for development)",
                    development_env=development,
                )
        return spec

    def _spec(
        self, project: Project, options: Options, entry: str, settings: django_settings.Settings
    ) -> ServeSpec:
        lock = lock_of(project)
        asgi = settings.strings.get("ASGI_APPLICATION", "")
        use_asgi = django_settings.is_dotted_path(asgi) and _asgi_server_locked(lock)
        # Django's WSGI application serves the HTTP of a router with no route of its own.
        empty_router = use_asgi and django_settings.routes_nothing(project, asgi)
        use_asgi = use_asgi and not empty_router
        if use_asgi:
            module, _, attribute = asgi.rpartition(".")
            app, found_in = (
                f"{module}:{attribute}",
                f"{entry} -> {settings.module}.ASGI_APPLICATION",
            )
        else:
            app, found_in = _wsgi_application(project, entry, settings)
        if empty_router:
            found_in += f"; ASGI_APPLICATION {asgi} routes nothing of its own"
        collects = "django.contrib.staticfiles" in settings.lists.get("INSTALLED_APPS", [])
        remote = settings.static_storage.startswith(REMOTE_STORAGES)
        served = self._served(
            project, options, app=options.app or app, asgi=use_asgi,
            found_in="the app option" if options.app else found_in,
            settings_module=settings.module,
            static=collects and "STATIC_ROOT" in settings.names and not remote,
        )  # fmt: skip
        if not (collects and remote):
            return served
        warning = (
            f"{project.name}'s static files go to {settings.static_storage} ({settings.module}), "
            "a storage outside the image: quatrain does not run collectstatic in the build, "
            "which would upload them from there with the build's settings. Run `python "
            "manage.py collectstatic` when you deploy."
        )
        return dataclasses.replace(served, warnings=(warning,))

    def _spec_of_app(self, project: Project, options: Options) -> ServeSpec:
        """The app option, honoured though no settings were found: Django's wsgi.py sets
        DJANGO_SETTINGS_MODULE itself."""
        assert options.app is not None
        module = options.app.partition(":")[0]
        use_asgi = module.rpartition(".")[2] == "asgi" and _asgi_server_locked(lock_of(project))
        return self._served(
            project, options, app=options.app, asgi=use_asgi, found_in="the app option",
            settings_module=None, static=False,
        )  # fmt: skip

    def _served(
        self, project: Project, options: Options, *, app: str, asgi: bool, found_in: str,
        settings_module: str | None, static: bool,
    ) -> ServeSpec:  # fmt: skip
        lock = lock_of(project)
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
            reloads=True,
            production_env=env,
            development_env=env,
            production_server=server.requires,
            brought_packages=server.brought,
            production_steps=("python -m django collectstatic --noinput",) if static else (),
        )


def _collects_from_npm(project: Project) -> bool:
    """django-npm's NpmFinder makes collectstatic read node_modules: it is locked, and the
    project's root has the npm lock to install them from."""
    return any(p.name == "django-npm" for p in lock_of(project).packages) and all(
        (project.root / name).is_file() for name in ("package.json", "package-lock.json")
    )


# How deep below the root a Django site is looked for (backend/manage.py, src/backend/...).
SITE_DEPTH = 3
# Directories that hold no site of the project's own.
_NOT_SITES = frozenset({"node_modules", "venv", "env", "site-packages", "tests", "test", "docs"})


def _site_directory(project: Project) -> str | None:
    """The directory below the root that holds manage.py, when the root has none: the one
    nearest the root, when it is the only one at its depth. Each part of its path is an
    identifier, so that it is safe in gunicorn's --chdir and a shell step."""
    if (project.root / "manage.py").is_file():
        return None
    level = [project.root]
    for _ in range(SITE_DEPTH):
        level = [
            d
            for parent in level
            for d in sorted(parent.iterdir())
            if d.is_dir() and d.name.isidentifier() and d.name not in _NOT_SITES
        ]
        found = [d for d in level if (d / "manage.py").is_file()]
        if found:
            return found[0].relative_to(project.root).as_posix() if len(found) == 1 else None
    return None


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
        reloads=True,
        production_steps=tuple(f"cd {site} && {step}" for step in spec.production_steps),
    )


def _settings_named(tree: ast.Module) -> str | None:
    named = django_settings.environ_default(tree, "DJANGO_SETTINGS_MODULE") or ""
    return named if django_settings.is_dotted_path(named) or named.isidentifier() else None


def _asgi_server_locked(lock: Lock) -> bool:
    return servers.locked_in_main(lock, "uvicorn") or servers.locked_in_main(lock, "uvicorn-worker")


def _wsgi_application(
    project: Project, entry: str, settings: django_settings.Settings
) -> tuple[str, str]:
    """(app, where it was seen): WSGI_APPLICATION when it is a literal dotted path, else the
    `wsgi` module beside the settings (or above a settings package), else the one found."""
    value = settings.strings.get("WSGI_APPLICATION", "")
    if django_settings.is_dotted_path(value):
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
