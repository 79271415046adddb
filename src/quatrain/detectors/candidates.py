"""What the detectors share: the app candidates source.py finds, narrowed to a framework, and
the lock (which the pipeline has checked before detection)."""

from __future__ import annotations

from quatrain import source
from quatrain.errors import DetectionError
from quatrain.options import Options
from quatrain.project import Lock, Project
from quatrain.source import AppCandidate

ASGI_FRAMEWORKS = ("fastapi", "starlette", "litestar", "quart")


def framework_of(candidate: AppCandidate, project: Project) -> str | None:
    """A factory whose body hides the constructor belongs to the framework the project uses."""
    if candidate.framework:
        return candidate.framework
    if "flask" in project.dependencies:
        return "flask"
    return next((f for f in (*ASGI_FRAMEWORKS, "sanic") if f in project.dependencies), None)


def only_candidate(project: Project, frameworks: tuple[str, ...]) -> AppCandidate | None:
    found = [c for c in source.app_candidates(project) if framework_of(c, project) in frameworks]
    if len(found) > 1:
        listed = ", ".join(f"`{c.app}` ({c.found_in})" for c in found)
        msg = (
            f"Found more than one app in {project.name}: {listed}. Choose one with "
            'app = "module:attribute" in [tool.quatrain] (or --app).'
        )
        raise DetectionError(msg)
    return found[0] if found else None


def chosen_app(
    project: Project, options: Options, frameworks: tuple[str, ...]
) -> tuple[str, str, str | None] | None:
    """(app, where it was found, framework seen), from the app option or the only candidate."""
    if options.app:
        return options.app, "the app option", None
    candidate = only_candidate(project, frameworks)
    if candidate is None:
        return None
    return candidate.app, candidate.found_in, candidate.framework


def lock_of(project: Project) -> Lock:
    assert project.lock is not None, "the pipeline checks the lock before detection"
    return project.lock
