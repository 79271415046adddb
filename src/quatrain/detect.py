"""How the project is served: an ordered list of detectors, most specific first; the first that
recognises the project wins. Nothing is ever guessed: no match is an error that says what each
detector looked for and how to choose."""

from __future__ import annotations

from typing import ClassVar, Protocol

from quatrain.detectors import AsgiDetector, ConsoleScriptDetector, DjangoDetector, FlaskDetector
from quatrain.errors import DetectionError
from quatrain.options import Options
from quatrain.project import Project
from quatrain.spec import ServeSpec

__all__ = ["DETECTORS", "Detector", "ServeSpec", "detect"]


class Detector(Protocol):
    """Looks at a project and says how it is served, or that it is not its kind.

    `detect` returns None when the project is not its kind, a ServeSpec when it is, and
    raises DetectionError when it is its kind but ambiguous (two apps, several scripts).
    """

    name: ClassVar[str]  # also the value of the `serve` option that forces this detector
    looks_for: ClassVar[str]  # one line, for the error when nothing matches

    def detect(self, project: Project, options: Options) -> ServeSpec | None: ...


# Django first (a Django project has app-like modules too); web apps before console scripts,
# since a web project may also ship a command-line tool.
DETECTORS: tuple[Detector, ...] = (
    DjangoDetector(),
    AsgiDetector(),
    FlaskDetector(),
    ConsoleScriptDetector(),
)


def detect(project: Project, options: Options) -> ServeSpec:
    chosen = [d for d in DETECTORS if options.serve in ("auto", d.name)]
    for detector in chosen:
        spec = detector.detect(project, options)
        if spec is not None:
            return spec
    looked = "; ".join(f"{d.name}: {d.looks_for}" for d in chosen)
    forced = f" (serve = {options.serve!r})" if options.serve != "auto" else ""
    msg = (
        f"quatrain cannot tell how {project.name} is served{forced}. It looked for {looked}. "
        'Say it in [tool.quatrain]: serve = "flask" | "asgi" | "django" | "console-script" '
        'and app = "module:attribute" (or the script name), or --serve/--app.'
    )
    raise DetectionError(msg)
