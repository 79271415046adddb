"""What the app imports that production will not have: a package the lock holds only in a
development group, or only through an extra nobody chose. Read with `ast`, never run.

A project whose code imports a package it locks for development only (DeadDPie/SalaryTracker:
`from passlib.context import CryptContext` at import of its app, passlib in the dev group)
works with `poetry install` and stops at import in a production image. Only top-level imports
count: an import inside `try:` or a function may be optional, and is the project's to judge.
"""

from __future__ import annotations

from quatrain.reading import source
from quatrain.reading.lock import LockedPackage, canonical_name
from quatrain.reading.project import Project
from quatrain.settings.options import Options


def warnings(project: Project, options: Options, app_module: str | None = None) -> list[str]:
    """One warning per package the project's modules import and production does not install;
    where the app's module (`app_module`) lies beside the packages, the modules beside them
    count too, as the app runs from those sources."""
    if project.lock is None:
        return []
    installed = {
        canonical_name(p.name) for p in project.runtime_packages(options.groups, options.extras)
    }
    locked = {canonical_name(p.name): p for p in project.lock.packages}
    modules = list(source.modules(project))
    beside = list(source.beside_packages(project))
    if app_module in {name for name, _ in beside}:
        modules += beside
    own = {canonical_name(module.split(".")[0]) for module, _ in modules}
    seen: dict[str, str] = {}  # package -> the first module that imports it
    for _, path in modules:
        tree = source.parse(path)
        for name in source.imported_names(tree) if tree is not None else ():
            key = canonical_name(name.split(".")[0])
            if key in locked and key not in installed and key not in own:
                seen.setdefault(key, path.relative_to(project.root).as_posix())
    return [_warning(project, locked[key], where) for key, where in sorted(seen.items())]


def _warning(project: Project, package: LockedPackage, where: str) -> str:
    name = canonical_name(package.name)
    groups = sorted(
        {g for g in package.groups if g != "main"}
        | {g for g, names in project.group_dependencies.items() if name in names}
    )
    if groups:
        held = f"only in the {' and '.join(groups)} group{'s' * (len(groups) > 1)}"
        fix = f'set groups = ["{groups[0]}"] to install that group'
    elif package.optional:
        held = "only through an extra"
        fix = "set extras = [...] to the extra that brings it"
    else:
        held = "only for packages production does not install"
        fix = "add the group that needs it to groups = [...]"
    return (
        f"{where} imports {package.name}, which poetry.lock has {held}: production will not "
        "have it, and the app may stop at import. If the app needs it, move it to the main "
        f"dependencies (`poetry add {package.name}`), or {fix} in [tool.quatrain]."
    )
