"""The detectors, one per family of apps, listed once in DETECTORS in the order they are tried.

Each reads the project (never runs it) and returns a ServeSpec, None when the project is not
its kind, or raises DetectionError when it is but is ambiguous; detect.py walks the list. A new
detector is one module and one entry here, with its name among the serve option's names
(settings.schema.Serve), which a test keeps equal to this list.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from quatrain.detectors.django import DjangoDetector
from quatrain.detectors.main_module import MainModuleDetector
from quatrain.detectors.own_servers import AiohttpDetector, SanicDetector, StreamlitDetector
from quatrain.detectors.processes import CeleryDetector, CommandDetector, ConsoleScriptDetector
from quatrain.detectors.web import AsgiDetector, DashDetector, FlaskDetector
from quatrain.reading.project import Project
from quatrain.settings.options import Options
from quatrain.settings.schema import Serve
from quatrain.spec import ServeSpec

__all__ = ["DETECTORS", "Detector"]


class Detector(Protocol):
    """Looks at a project and says how it is served, or that it is not its kind.

    `detect` returns None when the project is not its kind, a ServeSpec when it is, and
    raises DetectionError when it is its kind but ambiguous (two apps, several scripts).
    """

    name: ClassVar[Serve]  # also the value of the `serve` option that forces this detector
    looks_for: ClassVar[str]  # one line, for the error when nothing matches
    # Not a web app (a worker, a console script, a command): tried only once no web app was
    # found, and never in place of one.
    fallback: ClassVar[bool]

    def detect(self, project: Project, options: Options) -> ServeSpec | None: ...


# Django first (a Django project has app-like modules too); then the frameworks built on
# others (a Dash app depends on flask) or beside them (a Sanic app may use aiohttp as a
# client); web apps before workers and console scripts, since a web project may also ship a
# worker or a command-line tool; the command option last.
DETECTORS: tuple[Detector, ...] = (
    DjangoDetector(),
    DashDetector(),
    StreamlitDetector(),
    SanicDetector(),
    AiohttpDetector(),
    AsgiDetector(),
    FlaskDetector(),
    CeleryDetector(),
    ConsoleScriptDetector(),
    MainModuleDetector(),
    CommandDetector(),
)
