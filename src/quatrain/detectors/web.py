"""Web apps that gunicorn or uvicorn serve: Flask, the ASGI frameworks, and Dash (a Flask
server underneath)."""

from __future__ import annotations

from typing import ClassVar

from quatrain.detectors import dash_app, servers
from quatrain.detectors.candidates import ASGI_FRAMEWORKS, chosen_app, lock_of, only_candidate
from quatrain.reading.project import Project
from quatrain.settings.options import Options
from quatrain.settings.schema import Serve
from quatrain.spec import ServeSpec

# Flask's development server, with the debugger and the reloader (FLASK_DEBUG=1).
FLASK_DEVELOPMENT_COMMAND = servers.in_shell('flask run --host 0.0.0.0 --port "$PORT"')


class FlaskDetector:
    name: ClassVar[Serve] = "flask"
    fallback: ClassVar[bool] = False
    looks_for: ClassVar[str] = (
        "a flask dependency and a module-level `create_app()`/`make_app()` factory or "
        "`app = Flask(...)` object in the project's modules"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "flask" not in project.dependencies:
            return None
        chosen = chosen_app(project, options, ("flask",))
        if chosen is None:
            return None
        app, found_in, _ = chosen
        server = servers.wsgi_server(app, lock_of(project), options, project.name)
        return ServeSpec(
            detector=self.name,
            kind="wsgi",
            framework="flask",
            app=app,
            found_in=found_in,
            production_command=server.command,
            development_command=FLASK_DEVELOPMENT_COMMAND,
            reloads=True,
            development_env=(("FLASK_APP", app), ("FLASK_DEBUG", "1")),
            production_server=server.requires,
            brought_packages=server.brought,
        )


class AsgiDetector:
    name: ClassVar[Serve] = "asgi"
    fallback: ClassVar[bool] = False
    looks_for: ClassVar[str] = (
        f"a dependency on one of {', '.join(ASGI_FRAMEWORKS)} and a module-level app object "
        "(`app = FastAPI()`, ...) or `create_app()` factory"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        frameworks = tuple(f for f in ASGI_FRAMEWORKS if f in project.dependencies)
        if not frameworks:
            return None
        chosen = chosen_app(project, options, frameworks)
        if chosen is None:
            return None
        app, found_in, framework = chosen
        lock = lock_of(project)
        server = servers.asgi_server(app, lock, options, project.name)
        return ServeSpec(
            detector=self.name,
            kind="asgi",
            framework=framework or frameworks[0],
            app=app,
            found_in=found_in,
            production_command=server.command,
            development_command=servers.asgi_development(app, lock, server),
            reloads=True,
            production_server=server.requires,
            brought_packages=server.brought,
        )


class DashDetector:
    """Dash serves through its Flask server, a WSGI app: gunicorn loads `module:server`, the
    name Dash's deployment guide binds (`server = app.server`), or where the module binds none
    a call that finds `app.server` (dash_app.py). The module is the one that gives the app its
    layout."""

    name: ClassVar[Serve] = "dash"
    fallback: ClassVar[bool] = False
    looks_for: ClassVar[str] = (
        "a dash dependency and a module-level `app = Dash(...)`, served from the module that "
        "sets its layout"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "dash" not in project.dependencies:
            return None
        if options.app:
            app, found_in = options.app, "the app option"
        else:
            candidate = only_candidate(project, ("dash",))
            if candidate is None:
                return None
            loads_calls = servers.gunicorn_loads_calls(lock_of(project))
            app, found_in = dash_app.served_server(
                project, candidate, gunicorn_loads_calls=loads_calls
            )
        server = servers.wsgi_server(app, lock_of(project), options, project.name)
        return ServeSpec(
            detector=self.name,
            kind="wsgi",
            framework="dash",
            app=app,
            found_in=found_in,
            production_command=server.command,
            # Flask's own server, as for a Flask app: Dash depends on Flask, and a gunicorn that
            # quatrain brings is in production only. `flask --app` takes the same name or call.
            development_command=FLASK_DEVELOPMENT_COMMAND,
            reloads=True,
            development_env=(("FLASK_APP", app), ("FLASK_DEBUG", "1")),
            production_server=server.requires,
            brought_packages=server.brought,
        )
