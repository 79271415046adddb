"""The production image of a plan, assembled for one platform or several into an OCI layout.

Layers on the base, each a function of its inputs alone:
  1. the app's user: /etc/passwd and /etc/group (and the shadow files) with its entries added,
     its home; changes when the user option does
  2. the locked runtime dependencies in /opt/venv, from the lock's wheels; changes with the lock
  3. the project: its wheel installed in the venv, its sources in /app (less .dockerignore), the
     directories it writes, the SBOM; a code edit changes this layer alone
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quatrain.assembling import venv
from quatrain.assembling.base import PYTHON_HOME, SKEL, BaseImage, fetch
from quatrain.assembling.config import image_config
from quatrain.assembling.epochs import Epochs, cache_home
from quatrain.assembling.layout import OCI_CONFIG, OCI_LAYER, Descriptor, Layout
from quatrain.assembling.platform import TargetPlatform
from quatrain.assembling.tree import Entry, Layer, entry_of, staged, write_layer
from quatrain.assembling.wheel import project_wheel
from quatrain.building.build_inputs import ignore_rules
from quatrain.dockerfile import render, sbom
from quatrain.errors import ProjectError
from quatrain.log import log
from quatrain.plan import Plan
from quatrain.reading import wheels
from quatrain.reading.lock import LockedPackage

DOCKERFILE_WAY = "build it with the Dockerfile instead (--engine docker or podman)."


@dataclass(frozen=True, kw_only=True)
class Assembled:
    layout: Path
    ref: str  # the name in the layout's index.json
    digest: str  # of what `ref` names: the image index, or the one platform's manifest
    manifests: Mapping[str, str]  # platform -> its manifest's digest
    sboms: Mapping[str, bytes]  # platform -> the SBOM its image carries

    def platform_ref(self, platform: str) -> str:
        """The name in the layout of one platform's image."""
        return f"{self.ref}.{platform.split('/')[1]}" if len(self.manifests) > 1 else self.ref


def refusals(plan: Plan) -> list[str]:
    """Why the daemonless build cannot make this plan's production image (none: it can)."""
    options, spec, project = plan.resolved.options, plan.spec, plan.project
    reasons = []
    apt = sorted({*options.apt_packages, *plan.needs.runtime_packages})
    if apt:
        reasons.append(f"production installs Debian packages ({', '.join(apt)})")
    if spec.production_steps or spec.node_packages:
        reasons.append(
            f"production runs build steps ({'; '.join(spec.production_steps) or 'assets'})"
        )
    if options.gate:
        reasons.append("gate = true makes production wait for the test stages")
    if options.ca_bundle and options.keep_ca_bundle:
        reasons.append("keep-ca-bundle adds a CA to the trust store")
    if plan.layout.path_dependencies:
        reasons.append("path dependencies are built into wheels in the build stage")
    if render.git_dependencies(project, options):
        reasons.append("git dependencies are cloned and built")
    if plan.private_sources:
        reasons.append("private sources need their credentials in the build")
    return reasons


def without_wheels(plan: Plan, target: TargetPlatform) -> list[str]:
    """The runtime packages the lock has no wheel of for `target` on the plan's Python and
    Debian release (before the base image is read: its glibc may say more)."""
    platform = wheels.Platform(
        python=plan.base_images.python_version,
        debian_release=plan.base_images.debian_release,
        machine=target.machine,
    )
    if plan.project.lock is None:
        return []
    return sorted(
        f"{p.name} {p.version}"
        for p in _runtime(plan, platform)
        if not wheels.best_wheel(p, platform)
    )


def assemble(
    plan: Plan,
    platforms: Sequence[TargetPlatform],
    *,
    layout_dir: Path,
    ref: str,
    env: Mapping[str, str],
    base_reference: str,
    epochs: Epochs,
) -> Assembled:
    """Assemble the production image into the OCI layout at `layout_dir`, named `ref`."""
    if reasons := refusals(plan):
        msg = (
            f"The daemonless build cannot make {plan.project.name}'s production image: "
            f"{'; '.join(reasons)}. Nothing is run or compiled in this mode: {DOCKERFILE_WAY}"
        )
        raise ProjectError(msg)
    layout = Layout(layout_dir)
    with tempfile.TemporaryDirectory(prefix="quatrain-assemble-") as temporary:
        work = Path(temporary)
        wheel = project_wheel(plan, work / "dist", env, epochs.project)
        sources = (
            _sources(plan)
            if render.production_dirs(plan.project, plan.spec, plan.layout).ship_sources
            else []
        )
        manifests: dict[str, Descriptor] = {}
        sboms: dict[str, bytes] = {}
        for target in platforms:
            log.step(f"Assembling the production image for {target.name}")
            base = fetch(
                base_reference, target, layout, python=plan.base_images.python_version, env=env,
                cache=cache_home(env),
            )  # fmt: skip
            manifests[target.name], sboms[target.name] = _one_platform(
                plan, target, base, layout, work / target.architecture, wheel=wheel,
                sources=sources, env=env, epochs=epochs,
            )  # fmt: skip
            log.step_end()
    if len(manifests) == 1:
        top = next(iter(manifests.values()))
    else:
        top = layout.image_index(
            [
                (d, {"architecture": name.split("/")[1], "os": "linux"})
                for name, d in manifests.items()
            ]
        )
        for name, descriptor in manifests.items():
            layout.tag(f"{ref}.{name.split('/')[1]}", descriptor)
    layout.tag(ref, top)
    return Assembled(
        layout=layout_dir, ref=ref, digest=top.digest,
        manifests={name: d.digest for name, d in manifests.items()}, sboms=sboms,
    )  # fmt: skip


def _one_platform(
    plan: Plan,
    target: TargetPlatform,
    base: BaseImage,
    layout: Layout,
    work: Path,
    *,
    wheel: Path | None,
    sources: list[Entry],
    env: Mapping[str, str],
    epochs: Epochs,
) -> tuple[Descriptor, bytes]:
    """This platform's image in the layout, and the SBOM it carries."""
    minor = ".".join(base.python.split(".")[:2])
    platform = wheels.Platform(
        python=base.python,
        debian_release=plan.base_images.debian_release,
        machine=target.machine,
        glibc_minor=base.glibc_minor,
    )
    user = write_layer(_user_entries(plan, base), directory=layout.blobs, epoch=epochs.lock)
    wanted = venv.choose(_runtime(plan, platform), platform, builds_with=DOCKERFILE_WAY)
    deps_stage, dependencies = _dependencies(
        wanted, platform, layout, work, env=env, epoch=epochs.lock, cache=cache_home(env)
    )
    project_stage = work / "project"
    if wheel is not None:
        venv.install_wheels([wheel], project_stage, minor)
    document = sbom.text_of(_sbom(plan, base, deps_stage, project_stage, wheel, work / "build"))
    project = write_layer(
        [
            *(staged(project_stage / "opt" / "venv", venv.VENV) if wheel is not None else []),
            *sources,
            *_app_dirs(plan),
            Entry(path=sbom.SBOM_PATH, kind="file", mode=0o644, data=document.encode()),
        ],
        directory=layout.blobs,
        epoch=epochs.project,
    )
    layers = (user, dependencies, project)
    config = layout.put_json(image_config(plan, base, layers, epochs.project), OCI_CONFIG)
    base_layers = [Descriptor(d["mediaType"], d["digest"], d["size"]) for d in base.layers]
    manifest = layout.manifest(
        config,
        [*base_layers, *(Descriptor(OCI_LAYER, layer.digest, layer.size) for layer in layers)],
        annotations={"org.opencontainers.image.base.name": base.reference},
    )
    return manifest, document.encode()


# Changes to how the dependencies' layer is made, so that no layer cached before is reused.
_DEPENDENCIES_RECIPE = 1


def _dependencies(
    wanted: Sequence[venv.Wanted],
    platform: wheels.Platform,
    layout: Layout,
    work: Path,
    *,
    env: Mapping[str, str],
    epoch: int,
    cache: Path,
) -> tuple[Path, Layer]:
    """The venv of the locked wheels, staged (the SBOM reads it), and its layer. Both are kept
    in the cache under a key of everything they follow from, so that a code edit neither
    downloads nor installs nor packs them again."""
    key = hashlib.sha256(
        json.dumps(
            [_DEPENDENCIES_RECIPE, dataclasses.astuple(platform), epoch,
             sorted((w.package.name, w.package.version, w.wheel) for w in wanted)],
        ).encode()
    ).hexdigest()[:32]  # fmt: skip
    kept = cache / "dependencies" / key
    record = kept / "layer.json"
    minor = ".".join(platform.python.split(".")[:2])
    if record.is_file() and (kept / "stage").is_dir():
        layer = Layer(blob=Path(), **json.loads(record.read_text()))
        if layout.blob_path(layer.digest).is_file():
            log.info(f"  the dependencies' layer, unchanged ({layer.digest[:19]})")
            return kept / "stage", dataclasses.replace(layer, blob=layout.blob_path(layer.digest))
    shutil.rmtree(kept, ignore_errors=True)
    stage = work / "dependencies"
    stage.mkdir(parents=True)  # a project with no runtime dependency still has a venv
    files = venv.download(wanted, platform, work / "wheels", env) if wanted else {}
    venv.install_wheels(list(files.values()), stage, minor)
    skeleton = venv.skeleton(platform.python, minor, PYTHON_HOME)
    layer = write_layer(
        [*staged(stage / "opt" / "venv", venv.VENV), *skeleton], directory=layout.blobs, epoch=epoch
    )
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_name(f".{key}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(stage, partial / "stage", symlinks=True)
    fields = {"digest": layer.digest, "diff_id": layer.diff_id, "size": layer.size}
    (partial / "layer.json").write_text(json.dumps(fields))
    partial.rename(kept)
    return kept / "stage", layer


def _runtime(plan: Plan, platform: wheels.Platform) -> list[LockedPackage]:
    """What production installs on the platform: the lock's runtime packages whose markers
    apply there, the server quatrain brings, setuptools where the lock leaves it out."""
    project, options = plan.project, plan.resolved.options
    assert project.lock is not None  # make_plan checked
    runtime = project.runtime_packages(options.groups, options.extras)
    packages = list(
        wheels.on_platform(project.lock, runtime, project.requested(options.groups), platform)
    )
    packages += plan.spec.brought_packages
    if plan.needs.setuptools:
        packages.append(render.SETUPTOOLS)
    return packages


def _user_entries(plan: Plan, base: BaseImage) -> list[Entry]:
    """What `groupadd --system` and `useradd --system --create-home` change, without running
    them (and without the date useradd writes into /etc/shadow)."""
    options = plan.resolved.options
    uid, name, home = options.uid, options.user, render.home(options)
    lines = {
        "etc/passwd": f"{name}:x:{uid}:{uid}::{home}:/bin/sh\n",
        "etc/group": f"{name}:x:{uid}:\n",
        "etc/shadow": f"{name}:!:::::::\n",
        "etc/gshadow": f"{name}:!::\n",
    }
    entries = []
    for path, line in lines.items():
        file = base.files.get(path)
        if file is None:
            if path in ("etc/passwd", "etc/group"):
                msg = (
                    f"The base image {base.reference} has no /{path}: it is no Debian-based "
                    "python image."
                )
                raise ProjectError(msg)
            continue
        data = file.data if file.data.endswith(b"\n") or not file.data else file.data + b"\n"
        entries.append(
            Entry(
                path=f"/{path}",
                kind="file",
                mode=file.mode,
                uid=file.uid,
                gid=file.gid,
                data=data + line.encode(),
            )
        )
    entries.append(Entry(path=home, kind="dir", mode=0o775, uid=uid, gid=0))
    for name in SKEL:  # useradd copies them, owned by the new user
        if skel := base.files.get(f"etc/skel/{name}"):
            entries.append(
                Entry(path=f"{home}/{name}", kind="file", mode=skel.mode, uid=uid, gid=uid,
                      data=skel.data)
            )  # fmt: skip
    return entries


def _app_dirs(plan: Plan) -> list[Entry]:
    """/app, where the app runs, and what it may write, as the production stage leaves them."""
    options = plan.resolved.options
    dirs = render.production_dirs(plan.project, plan.spec, plan.layout)
    entries = [Entry(path=d, kind="dir", mode=0o775, uid=options.uid, gid=0) for d in dirs.writable]
    entries.append(Entry(path=dirs.workdir, kind="dir", mode=0o1775, uid=0, gid=options.uid))
    return entries


def _sources(plan: Plan) -> list[Entry]:
    """The build context less the ignore rules, as `COPY . .` puts it in /app."""
    # The Docker SDK's matcher (imported here: it brings requests, 0.17 s of every start).
    from docker.utils.build import exclude_paths  # type: ignore[import-untyped]

    root = plan.context
    patterns = [
        line.strip()
        for line in ignore_rules(plan).splitlines()
        if line.strip() and not line.startswith("#")
    ]
    kept = exclude_paths(str(root), patterns)
    entries = []
    for relative in sorted(kept):
        path = root / relative
        if path.is_symlink() or path.is_dir() or path.is_file():
            entries.append(entry_of(path, f"/app/{relative}"))
    return entries


def _sbom(
    plan: Plan,
    base: BaseImage,
    dependencies: Path,
    project: Path,
    wheel: Path | None,
    build: Path,
) -> dict[str, Any]:
    """The SBOM the production stage writes, from the same function, over the staged venv."""
    build.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "poetry.lock"):
        shutil.copyfile(plan.project.root / name, build / name)
    if wheel is not None:
        (build / "dist").mkdir(exist_ok=True)
        shutil.copyfile(wheel, build / "dist" / wheel.name)
    pins = plan.spec.brought_packages
    (build / sbom.PIN_FILES[0]).write_text("".join(render.pinned(p) + "\n" for p in pins))
    (build / sbom.PIN_FILES[1]).write_text(render.SETUPTOOLS_REQUIREMENT + "\n")
    return sbom.sbom(
        dependencies / "opt" / "venv", build, base_image=base.reference, python=base.python,
        more_venvs=(project / "opt" / "venv",),
    )  # fmt: skip
