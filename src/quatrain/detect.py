"""How the project is served: an ordered list of detectors, most specific first; the first that
recognises the project wins. Nothing is ever guessed: no match is an error that says what each
detector looked for and how to choose."""

from __future__ import annotations

from typing import ClassVar, Protocol

from quatrain.detectors import (
    ASGI_FRAMEWORKS,
    AsgiDetector,
    ConsoleScriptDetector,
    DjangoDetector,
    FlaskDetector,
)
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


# Web frameworks whose presence means the image serves HTTP: a console script is no fallback.
WEB_FRAMEWORKS = ("django", "flask", *ASGI_FRAMEWORKS)


def detect(project: Project, options: Options) -> ServeSpec:
    chosen = [d for d in DETECTORS if options.serve in ("auto", d.name)]
    for detector in chosen:
        if detector.name == "console-script" and options.serve == "auto":
            _refuse_web_fallback(project, [d for d in chosen if d is not detector])
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


def _refuse_web_fallback(project: Project, web_detectors: list[Detector]) -> None:
    """A web framework is a runtime dependency but no app was found: say so rather than fall
    back to a console script, which would give an image that serves nothing."""
    seen = [f for f in WEB_FRAMEWORKS if f in project.dependencies]
    if not seen:
        return
    scripts = (
        f" It also has console scripts ({', '.join(project.scripts)})." if project.scripts else ""
    )
    looked = "; ".join(f"{d.name}: {d.looks_for}" for d in web_detectors)
    msg = (
        f"{project.name} depends on {', '.join(seen)}, but quatrain found no app in its modules. "
        f"It looked for {looked}.{scripts} "
        'Say which: app = "module:attribute" or "module:factory()" in '
        '[tool.quatrain] (or --app), or serve = "console-script" for a command-line image.'
    )
    raise DetectionError(msg)
