"""What quatrain decided, for people (`quatrain inspect`) and machines (`--json`). Pure."""

from __future__ import annotations

import dataclasses
import json
import shlex
from typing import Any

from quatrain.assembling.assemble import refusals, without_wheels
from quatrain.assembling.platform import PLATFORMS
from quatrain.dockerfile import render
from quatrain.plan import Plan
from quatrain.settings.options import FIELDS, as_plain, option_key


def describe(plan: Plan) -> dict[str, Any]:
    project, spec, options = plan.project, plan.spec, plan.resolved.options
    images = plan.base_images
    values = as_plain(options)  # tuples and read-only mappings as JSON lists and objects
    return {
        "project": {
            "name": project.name,
            "version": project.version,
            "root": str(project.root),
            "package_mode": project.package_mode,
            "not_a_package": project.not_a_package,
            "packages": [p.path for p in project.packages],
            "python_constraint": project.python_constraint,
            "lock_version": project.lock.lock_version if project.lock else None,
            "locked_by_poetry": project.lock.poetry_version if project.lock else None,
        },
        "serve": dataclasses.asdict(spec) | {"http": spec.http, "loop": spec.loop},
        "images": {
            "python_version": images.python_version,
            "python_reason": images.python_reason,
            "build_flavor": images.build_flavor,
            "source_builds": [f"{p.name} {p.version}" for p in images.source_builds],
            "poetry_version": render.poetry_version(project, options, images.python_version),
            "debian_release": images.debian_release,
            "build": _substitute(images.build, images),
            "runtime": _substitute(images.runtime, images),
        },
        "daemonless": {
            "refused_because": refusals(plan),
            "without_wheels": {name: without_wheels(plan, p) for name, p in PLATFORMS.items()},
        },
        "options": {
            option_key(name): {
                "value": values[name],
                "source": plan.resolved.sources[name],
            }
            for name in FIELDS
        },
    }


def _substitute(reference: str, images: Any) -> str:
    return reference.replace("${PYTHON_VERSION}", images.python_version).replace(
        "${DEBIAN_RELEASE}", images.debian_release
    )


def _layout(project: dict[str, Any], application: bool) -> str:
    if not project["package_mode"]:
        return f"an application ({project['not_a_package']}): its sources are shipped"
    sources = " and its sources shipped" if application else ""
    return f"a package ({', '.join(project['packages'])}): its wheel installed{sources}"


# What `quatrain dev` does with an edit, by ServeSpec.loop; a lock change always rebuilds.
LOOPS = {
    "reload": "the dev server reloads an edited source; a lock change rebuilds and restarts",
    "restart": "no reloader: an edited source restarts the container; a lock change rebuilds",
    "shell": "a command-line tool: a shell at a terminal (else the command above, once); "
    "`quatrain dev PATH -- TOOL ...` runs it",
}


def _daemonless(found: dict[str, Any]) -> str:
    """Whether `--engine none` can assemble production, and for which platforms."""
    if found["refused_because"]:
        return "no: " + "; ".join(found["refused_because"])
    missing = {name: names for name, names in found["without_wheels"].items() if names}
    fits = [name for name in found["without_wheels"] if name not in missing]
    said = [f"{name} lacks wheels of {', '.join(names)}" for name, names in missing.items()]
    return (f"assembles {', '.join(fits)}" if fits else "no platform") + "".join(
        f"; {s}" for s in said
    )


def as_json(plan: Plan) -> str:
    return json.dumps(describe(plan), indent=2, sort_keys=True)


def as_text(plan: Plan) -> str:
    described = describe(plan)
    project, serve, images = described["project"], described["serve"], described["images"]
    entrypoint = shlex.join(serve["production_entrypoint"])
    command = shlex.join(plan.resolved.options.command or serve["production_command"])
    lines = [
        f"project      {project['name']} {project['version']} ({project['root']})",
        f"serve        {serve['detector']}: {serve['framework']} ({serve['kind']}) {serve['app']}",
        f"found in     {serve['found_in']}",
        "production   " + " ".join(part for part in (entrypoint, command) if part),
        f"development  {shlex.join(serve['development_command'])}",
        f"dev loop     {LOOPS[plan.spec.loop]}",
        *(f"also         {companion}" for companion in plan.spec.companions),
        f"layout       {_layout(project, plan.spec.http or plan.spec.worker)}",
        f"images       build {images['build']}, runtime {images['runtime']}",
        f"python       {images['python_version']}: {images['python_reason'] or 'python-version'}",
        "from source  "
        + (", ".join(images["source_builds"]) or "nothing (every runtime package has a wheel)"),
        f"engine none  {_daemonless(described['daemonless'])}",
        "",
        "options (value, and where it came from):",
    ]
    width = max(len(key) for key in described["options"])
    for key, entry in described["options"].items():
        value = entry["value"]
        shown = "(auto)" if value is None else json.dumps(value)
        lines.append(f"  {key:<{width}}  {shown:<28} {entry['source']}")
    return "\n".join(lines) + "\n"
