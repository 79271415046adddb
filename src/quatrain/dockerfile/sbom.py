"""The production image's SBOM: CycloneDX 1.6 JSON of exactly what it holds, from the lock.

Made from poetry.lock and the choices quatrain made for the image, never by scanning a
filesystem: every runtime package production installs (the main group, the chosen groups and
extras, less what the markers exclude for CPython X.Y on glibc x86_64) with its version and
the lock's hashes; setuptools when quatrain adds it; the project's own wheel (package mode);
the Python of the image and the base image's reference. Pure: no disk, no clock, no
randomness, so the same inputs give the same bytes (the text is pasted into the Dockerfile,
which users commit and tests compare).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cyclonedx.model import HashAlgorithm, HashType
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.dependency import Dependable, Dependency
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from quatrain import __version__
from quatrain.choosing.images import BaseImages, LockNeeds
from quatrain.reading import wheels
from quatrain.reading.lock import Lock, LockedPackage, canonical_name
from quatrain.reading.project import Project
from quatrain.settings.options import Options

# Where the production image keeps it: the FHS place for a package's documentation, outside
# /app (which holds the user's sources) and outside the venv (which is the lock's alone).
SBOM_PATH = "/usr/share/doc/quatrain/sbom.cdx.json"
MEDIA_TYPE = "application/vnd.cyclonedx+json"

_ALGORITHMS = {
    "sha256": HashAlgorithm.SHA_256,
    "sha384": HashAlgorithm.SHA_384,
    "sha512": HashAlgorithm.SHA_512,
}
# What quatrain installs beside the lock when a runtime package needs pkg_resources (see
# render.SETUPTOOLS_REQUIREMENT, which pins the same wheel).
SETUPTOOLS = LockedPackage(
    name="setuptools",
    version="80.10.2",
    groups=("main",),
    hashes=("sha256:95b30ddfb717250edb492926c92b5221f7ef3fbcc2b07579bcd4a27da21d0173",),
)


def sbom(
    project: Project,
    options: Options,
    *,
    images: BaseImages,
    needs: LockNeeds,
    brought: Sequence[LockedPackage] = (),
) -> str:
    """The SBOM of the production image that these choices render, as JSON text; `brought`:
    what quatrain installs beside the lock (a server the lock lacks)."""
    target = wheels.Platform(python=images.python_version, debian_release=images.debian_release)
    packages = installed_packages(
        project.lock,
        direct=project.requested(options.groups),
        target=target,
        groups=options.groups,
        extras=options.extras,
    )
    if needs.setuptools:
        packages = (*packages, SETUPTOOLS)
    packages = (*packages, *brought)
    bom = _bom(project, packages, python=images.python_version, base_image=runtime_image(images))
    return _stable_text(JsonV1Dot6(bom).output_as_string())


def installed_packages(
    lock: Lock | None,
    *,
    direct: Iterable[str],
    target: wheels.Platform,
    groups: Iterable[str] = (),
    extras: Iterable[str] = (),
) -> tuple[LockedPackage, ...]:
    """The locked packages `poetry export` lists and uv installs on the target, by name."""
    if lock is None:
        return ()
    runtime = wheels.runtime_packages(lock, groups=tuple(groups), extras=tuple(extras))
    # Locks that say no package's group are all older than 2.1: on_platform's walk covers them.
    chosen = wheels.on_platform(lock, runtime, direct, target)
    return tuple(sorted(chosen, key=lambda p: canonical_name(p.name)))


def runtime_image(images: BaseImages) -> str:
    """The production stage's FROM, with the build arguments' defaults filled in."""
    if images.runtime_override:
        return images.runtime_override
    return f"python:{images.python_version}-slim-{images.debian_release}"


def _indexed(bom: Bom) -> Bom:
    """The Bom with a register_dependency that finds a target's entry by its reference in a
    dict. The library's scans every registered entry on each call, and its validate (run by
    every output) calls it once per component: rendering grew with the square of the lock
    (1,000 / 2,000 / 4,000 / 8,000 packages: 3.1 / 6.8 / 18.9 / 91.8 s). The same entries as
    the library's, in linear time. Set on the instance: the library serializes a Bom by its
    class, so a subclass would lose every field."""
    index: dict[str, Dependency] = {}

    def register_dependency(
        target: Dependable, depends_on: Iterable[Dependable] | None = None
    ) -> None:
        entry = index.get(str(target.bom_ref))
        wanted = [Dependency(ref=d.bom_ref) for d in depends_on or ()]
        if entry is not None:
            entry.dependencies.update(wanted)
        else:
            entry = Dependency(ref=target.bom_ref, dependencies=wanted)
            bom.dependencies.add(entry)
            index[str(target.bom_ref)] = entry
        for dependency in depends_on or ():
            register_dependency(dependency)

    bom.register_dependency = register_dependency  # type: ignore[method-assign]
    return bom


def _bom(
    project: Project, packages: Sequence[LockedPackage], *, python: str, base_image: str
) -> Bom:
    root = _project_component(project)
    libraries = {canonical_name(p.name): _library(p) for p in packages}
    bom = Bom(
        # Replaced by one derived from the content (_stable_text); the library needs a value.
        serial_number=UUID(int=0),
        metadata=BomMetaData(component=root),
        components=[
            *libraries.values(),
            Component(
                type=ComponentType.PLATFORM,
                name="cpython",
                version=python,
                purl=PackageURL(type="generic", name="cpython", version=python),
                bom_ref="python",
                description="The Python of the image, X.Y as rendered; the base image "
                "decides the patch release",
            ),
            _image_component(base_image),
        ],
    )
    bom = _indexed(bom)
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="quatrain", version=__version__)
    )
    bom.register_dependency(
        root, [libraries[n] for n in sorted(project.dependencies) if n in libraries]
    )
    for package in packages:
        needed = [libraries[n] for n in package.requires if n in libraries]
        bom.register_dependency(libraries[canonical_name(package.name)], needed)
    return bom


def _library(package: LockedPackage) -> Component:
    purl = PackageURL(type="pypi", name=canonical_name(package.name), version=package.version)
    return Component(
        type=ComponentType.LIBRARY,
        name=package.name,
        version=package.version,
        purl=purl,
        bom_ref=purl.to_string(),
        hashes=_hashes(package.hashes),
    )


def _hashes(locked: Iterable[str]) -> list[HashType]:
    found = []
    for entry in locked:
        algorithm, _, digest = entry.partition(":")
        if algorithm in _ALGORITHMS and re.fullmatch(r"[0-9a-f]+", digest):
            found.append(HashType(alg=_ALGORITHMS[algorithm], content=digest))
    return found


def _project_component(project: Project) -> Component:
    """The project: in package mode also an installed distribution (its wheel), by its purl;
    an application has no wheel, hence no purl."""
    purl = (
        PackageURL(type="pypi", name=canonical_name(project.name), version=project.version)
        if project.package_mode
        else None
    )
    return Component(
        type=ComponentType.APPLICATION,
        name=project.name,
        version=project.version or None,
        purl=purl,
        bom_ref=purl.to_string() if purl else f"project:{canonical_name(project.name)}",
        description=" ".join(project.description.split()) or None,
    )


def _image_component(reference: str) -> Component:
    name, version = split_reference(reference)
    return Component(
        type=ComponentType.CONTAINER,
        name=name,
        version=version,
        bom_ref=f"image:{reference}",
        description="The base image of the production stage, by the reference it is built from",
    )


def split_reference(reference: str) -> tuple[str, str | None]:
    """`python:3.12-slim` -> (`python`, `3.12-slim`); a digest is the version of `x@sha256:`."""
    if "@" in reference:
        name, _, digest = reference.partition("@")
        return name, digest
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > slash:
        return reference[:colon], reference[colon + 1 :]
    return reference, None


def _stable_text(text: str) -> str:
    """The library's JSON, laid out a component a line, without the wall-clock timestamp and
    with a serial number derived from the rest: identical inputs, identical bytes."""
    document = json.loads(text)
    document["metadata"].pop("timestamp", None)
    document["serialNumber"] = ""
    digest = hashlib.sha256(_layout(document).encode("utf-8")).hexdigest()
    document["serialNumber"] = f"urn:uuid:{uuid5(NAMESPACE_URL, f'quatrain-sbom:{digest}')}"
    return _layout(document)


def _layout(document: dict[str, Any]) -> str:
    """A top-level key a line, and a line per entry of a top-level list: a lock change shows as
    the lines of the packages it changed."""
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            entries = ",\n".join(f"    {_compact(v)}" for v in value)
            lines.append(f"  {_compact(key)}: [\n{entries}\n  ]")
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(", ", ": "))


# Run by the image's own Python in the production stage: the SBOM's lines are its arguments,
# so the Dockerfile carries the file and no build context or secret has to (quatrain build
# renders the Dockerfile alone into a temporary directory).
_WRITER = (
    "import pathlib, sys; path = pathlib.Path(sys.argv[1]); "
    "path.parent.mkdir(parents=True, exist_ok=True); "
    "path.write_text('\\n'.join(sys.argv[2:]) + '\\n', encoding='utf-8')"
)


def writer_argv(text: str) -> list[str]:
    """The exec form that writes `text` to SBOM_PATH in the image, a line an argument."""
    return ["python", "-c", _WRITER, SBOM_PATH, *text.splitlines()]
