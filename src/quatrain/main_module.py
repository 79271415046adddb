"""Projects that say themselves how they run: a package with a `__main__.py`.

A bot, a worker or a service with its own event loop is often started as `python -m bot`; the
`__main__.py` is the project's own evidence of that, so the image runs it and verify checks
that the process stays up (it may serve no port, or one that its own settings choose).
"""

from __future__ import annotations

from typing import ClassVar

from quatrain import source
from quatrain.errors import DetectionError
from quatrain.options import Options
from quatrain.project import Project
from quatrain.spec import ServeSpec


def main_modules(project: Project) -> list[str]:
    """The project's top-level packages that have a `__main__.py`, sorted."""
    return sorted(
        module.removesuffix(".__main__")
        for module, _ in source.modules(project)
        if module.endswith(".__main__") and module.count(".") == 1
    )


def run_module(project: Project, module: str, framework: str, detector: str) -> ServeSpec:
    command = ("python", "-m", module)
    return ServeSpec(
        detector=detector,
        kind="worker",
        framework=framework,
        app=module,
        found_in=f"{module.replace('.', '/')}/__main__.py",
        production_command=command,
        development_command=command,
    )


class MainModuleDetector:
    name: ClassVar[str] = "module"
    looks_for: ClassVar[str] = "one top-level package with a __main__.py, run as python -m"

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if options.command:
            return None  # the command option says what runs; the command detector has it
        found = main_modules(project)
        if options.app is not None:
            if options.app not in found:
                msg = (
                    f"app = {options.app!r} is no package of {project.name} with a "
                    f"__main__.py (found: {', '.join(found) or 'none'})."
                )
                raise DetectionError(msg)
            found = [options.app]
        if not found:
            return None
        if len(found) > 1:
            msg = (
                f"{project.name} has several packages with a __main__.py ({', '.join(found)}). "
                'Choose the one the image runs with app = "NAME" in [tool.quatrain] (or --app).'
            )
            raise DetectionError(msg)
        return run_module(project, found[0], "python -m", self.name)
