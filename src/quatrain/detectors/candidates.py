"""What the detectors share: the app candidates source.py finds, narrowed to a framework, and
the lock (which the pipeline has checked before detection)."""

from __future__ import annotations

import ast
import dataclasses

from quatrain.errors import DetectionError
from quatrain.reading import evidence, source
from quatrain.reading.project import Lock, Project
from quatrain.reading.source import AppCandidate
from quatrain.settings.options import Options

ASGI_FRAMEWORKS = ("fastapi", "starlette", "litestar", "quart")


def framework_of(candidate: AppCandidate, project: Project) -> str | None:
    """A factory whose body hides the constructor belongs to the framework the project uses."""
    if candidate.framework:
        return candidate.framework
    if "flask" in project.dependencies:
        return "flask"
    return next((f for f in (*ASGI_FRAMEWORKS, "sanic") if f in project.dependencies), None)


def only_candidate(project: Project, frameworks: tuple[str, ...]) -> AppCandidate | None:
    """The one app of `frameworks`; of several, the one its own module runs (`if __name__ ==
    "__main__": uvicorn.run(app)`), or else the one the authors' Procfile, Dockerfile or
    compose file names, as they start it; else a choice for the user."""
    found = [c for c in source.app_candidates(project) if framework_of(c, project) in frameworks]
    if len(found) > 1:
        run_by_module = [c for c in found if _run_by_its_module(project, c)]
        if len(run_by_module) == 1:
            chosen = run_by_module[0]
            others = ", ".join(f"`{c.app}`" for c in found if c is not chosen)
            return dataclasses.replace(chosen, note=f"the one its module runs; not {others}")
        # The one the authors start: named in their Procfile, Dockerfile or compose file.
        files = evidence.evidence(project.root)
        named = [(c, where) for c in found if (where := evidence.naming(files, _target(c)))]
        if len(named) == 1:
            chosen, where = named[0]
            others = ", ".join(f"`{c.app}`" for c in found if c is not chosen)
            return dataclasses.replace(chosen, note=f"the one {where} runs; not {others}")
        listed = ", ".join(f"`{c.app}` ({c.found_in})" for c in found)
        msg = (
            f"Found more than one app in {project.name}: {listed}. Choose one with "
            'app = "module:attribute" in [tool.quatrain] (or --app).'
        )
        raise DetectionError(msg)
    return found[0] if found else None


def _target(candidate: AppCandidate) -> str:
    """How a command line names the candidate: `module:attribute`, a factory's without `()`."""
    return f"{candidate.module}:{candidate.attribute}"


def _run_by_its_module(project: Project, candidate: AppCandidate) -> bool:
    """The candidate's module has `if __name__ == "__main__":` naming the app in it:
    `uvicorn.run(app, ...)`, `app.run()`, `uvicorn.run("main:app")`."""
    tree = source.parse(project.root / candidate.path)
    for guard in (n for n in (tree.body if tree else []) if source.is_main_guard(n)):
        for node in ast.walk(guard):
            if isinstance(node, ast.Name) and node.id == candidate.attribute:
                return True
            if isinstance(node, ast.Constant) and str(node.value).endswith(
                f":{candidate.attribute}"
            ):
                return True
    return False


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
