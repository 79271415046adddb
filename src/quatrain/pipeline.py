"""The one way through quatrain; each command stops at a different point of it.

load_project -> resolve options -> check lock -> detect -> render   (make_plan: pure but for reads)
-> write (init) -> build (build, run, verify) -> run (run) -> verify_image (verify)
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quatrain import engines
from quatrain.assembling import transport
from quatrain.assembling.assemble import Assembled, assemble
from quatrain.assembling.epochs import cache_home, source_date_epochs
from quatrain.assembling.layout import Layout as OciLayout
from quatrain.assembling.platform import TargetPlatform, this_machine
from quatrain.building import build_inputs, build_outputs, registry, sbom_push
from quatrain.checking.verify import VerifyResult, verify_image
from quatrain.choosing import images
from quatrain.detectors import unlocked_imports
from quatrain.detectors.detect import detect
from quatrain.developing import loop
from quatrain.dockerfile import generated, quoting
from quatrain.dockerfile.instructions import CA_BUNDLE_SECRET
from quatrain.dockerfile.render import COMPOSE, COMPOSE_NAMES, DOCKERFILE, Layout, render
from quatrain.errors import ConfigurationError, ProjectError, VerifyError
from quatrain.log import log
from quatrain.plan import TARGETS, BuildRequest, Plan, Target
from quatrain.reading import credentials
from quatrain.reading.project import Project, canonical_name, load_project
from quatrain.settings.resolution import resolve
from quatrain.settings.schema import EngineKind


def make_plan(path: Path, *, env: Mapping[str, str], cli: Mapping[str, Any]) -> Plan:
    project = load_project(path)
    credentials.refuse_credentials_in_urls(project)
    resolved = resolve(pyproject=project.tool_quatrain, env=env, cli=cli)
    options = resolved.options
    if options.engine != "none" and (options.runtime_image or "").startswith(
        transport.SOURCE_PREFIXES
    ):
        msg = (
            f"runtime-image {options.runtime_image!r} is an image only the daemonless build reads "
            "(--engine none); a Dockerfile's FROM takes an image reference. Give the engine's "
            "name of it instead."
        )
        raise ConfigurationError(msg)
    check_lock(project)
    base_images, warnings = images.choose(
        project, options, release_is_default=resolved.sources["debian_release"] == "default"
    )
    # Detection sees the Python the images have, pinned or chosen: a server quatrain brings
    # must run on it.
    spec = detect(project, dataclasses.replace(options, python_version=base_images.python_version))
    needs, more_warnings = images.lock_needs(project, options, base_images)
    private = credentials.private_sources(project, options.private_sources)
    context, layout = layout_of(project)
    rendering = functools.partial(
        render,
        project,
        spec,
        options,
        images=dataclasses.replace(
            base_images, runtime_override=transport.as_reference(base_images.runtime_override)
        ),
        private_sources=[s.name for s in private],
        layout=layout,
        needs=needs,
    )
    # Compose reads compose.yaml before the other names: beside the user's own compose file,
    # it would take their place.
    theirs = [n for n in COMPOSE_NAMES[1:] if (project.root / n).exists()]
    files = rendering(compose=options.compose and not theirs)
    init_notes = (
        (
            f"{project.name} has {' and '.join(theirs)}: init writes no {COMPOSE} beside it "
            "(Compose would read that first). Set compose = false in [tool.quatrain] to say so.",
        )
        if options.compose and theirs
        else ()
    )
    brought = [
        f"{project.name} {_where_locked(project, p.name)} for its {spec.framework} app: "
        f"production runs {p.name} {p.version}, which quatrain installs pinned by the hash of "
        f"its wheel. Run `poetry add {p.name}` to lock one of your own."
        for p in spec.brought_packages
    ]
    return Plan(
        project=project,
        resolved=resolved,
        spec=spec,
        base_images=base_images,
        needs=needs,
        files=files,
        # The daemonless build runs no Dockerfile: the render is spared (0.07 s of each build).
        build_dockerfile=(
            rendering(sbom_script_from="build")[DOCKERFILE] if options.engine != "none" else ""
        ),
        private_sources=private,
        context=context,
        layout=layout,
        init_notes=init_notes,
        warnings=(
            *warnings,
            *more_warnings,
            *spec.warnings,
            *brought,
            *unlocked_imports.warnings(project, options, app_module=spec.app.partition(":")[0]),
        ),
    )


def _where_locked(project: Project, name: str) -> str:
    """Why production has no server of the project's own: none locked, or one that production
    does not install."""
    locked = project.lock.package(name) if project.lock else None
    if locked is None:
        return "locks no server"
    where = "through an extra" if "main" in locked.groups else f"in the `{locked.groups[0]}` group"
    return f"locks {name} only {where}, which production does not install,"


def layout_of(project: Project) -> tuple[Path, Layout]:
    """The build context and where the project sits in it: its own directory, or the
    monorepo's directory that also holds its path dependencies."""
    root = project.root.resolve()
    dependencies = project.path_dependencies
    context = Path(os.path.commonpath([root, *dependencies])) if dependencies else root

    def relative(path: Path, what: str) -> str:
        if path == context:
            return ""
        # COPY and .dockerignore lines name it: a path they cannot read as written is refused.
        return quoting.check_context_path(path.relative_to(context).as_posix(), what=what)

    return context, Layout(
        project_dir=relative(root, "the project's directory"),
        path_dependencies=tuple(relative(d, "a path dependency") for d in dependencies),
    )


def check_lock(project: Project) -> None:
    if project.lock is None:
        msg = (
            f"{project.root} has no poetry.lock. quatrain installs exactly what the lock says, "
            "and locking inside the image would make every build differ. Run `poetry lock` "
            "and commit poetry.lock."
        )
        raise ProjectError(msg)
    if not project.lock_is_fresh:
        # Poetry's own words for this (poetry-plugin-export, command.py), and the same fix.
        msg = (
            f"pyproject.toml changed significantly since poetry.lock was last generated "
            f"({project.root}). Run `poetry lock` to fix the lock file, then build again."
        )
        raise ProjectError(msg)


def init(plan: Plan, *, force: bool) -> list[generated.Written]:
    return generated.write(plan.files, plan.project.root, force=force)


def freshness(plan: Plan) -> dict[str, generated.Freshness]:
    return generated.freshness(plan.files, plan.project.root)


def default_tag(plan: Plan, target: Target) -> str:
    name = plan.resolved.options.image_name or canonical_name(plan.project.name)
    return f"{name}:{'latest' if target == 'production' else target}"


@dataclass(frozen=True, kw_only=True)
class Shipping:
    """Where the daemonless build puts its image besides its layout."""

    output: Path | None = None  # an OCI layout of the user's (oci:DIR); else quatrain's own
    load: EngineKind | None = None  # into the local Docker or Podman


def build_daemonless(
    plan: Plan,
    request: BuildRequest,
    platforms: Sequence[TargetPlatform],
    shipping: Shipping,
    *,
    env: Mapping[str, str],
) -> tuple[str, Assembled]:
    """The production image from the lock with no engine (assembling/); return its tag."""
    if request.target != "production":
        msg = (
            "--engine none assembles the production image only: the development image installs "
            "with Poetry in a container. Build it with --engine docker or podman."
        )
        raise ConfigurationError(msg)
    tag = check_tags(plan, request)
    layout_dir = shipping.output or _layout_home(plan, env)
    assembled = assemble(
        plan, platforms, layout_dir=layout_dir, ref=tag, env=env,
        base_reference=runtime_reference(plan),
        epochs=source_date_epochs(plan.project.root, env),
    )  # fmt: skip
    for name, digest in assembled.manifests.items():
        log.info(f"  {name}: {digest}")
    log.info(f"Assembled {tag} ({assembled.digest}) in oci:{layout_dir}:{tag}")
    if request.push:
        transport.push(layout_dir, tag, (tag, *request.extra_tags), env)
        _attach_sboms(assembled, (tag, *request.extra_tags), env)
    if shipping.load:
        transport.load(layout_dir, _loadable(assembled, platforms), tag, shipping.load, env)
    return tag, assembled


def _attach_sboms(assembled: Assembled, pushed: Sequence[str], env: Mapping[str, str]) -> None:
    """Each platform's SBOM attached in each repository pushed to, with its image's manifest as
    the subject (as `build --push` attaches the Dockerfile path's)."""
    config_dir = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else None
    repositories = dict.fromkeys(registry.parse_reference(r).repository for r in pushed)
    for repository in repositories:
        for name, digest in assembled.manifests.items():
            attached = sbom_push.attach(f"{repository}@{digest}", assembled.sboms[name], config_dir)
            log.info(f"SBOM of {name} attached to {repository}@{digest[:19]}...: {attached.digest}")


def verify_daemonless(
    plan: Plan, engine: engines.Engine, *, env: Mapping[str, str], run_env: Mapping[str, str]
) -> VerifyResult:
    """Assemble this machine's production image, load it into `engine` and check it there as
    verify checks a built one."""
    tag, _ = build_daemonless(
        plan, BuildRequest(), (this_machine(),), Shipping(load=engine.kind), env=env
    )
    result = _verify_one(plan, engine, tag, target="production", env=run_env)
    _raise_for_failed([result])
    return result


def verify_reproducible(
    plan: Plan, platforms: Sequence[TargetPlatform], *, env: Mapping[str, str]
) -> str:
    """Assemble twice, each with a cache, a pip cache and a layout of its own, and compare the
    digests; a VerifyError names the layers that differ."""
    found = []
    for attempt in (1, 2):
        with tempfile.TemporaryDirectory(prefix=f"quatrain-reproducible-{attempt}-") as home:
            isolated = {
                **env, "XDG_CACHE_HOME": f"{home}/cache", "PIP_CACHE_DIR": f"{home}/pip",
            }  # fmt: skip
            log.info(f"Build {attempt} of 2, in {home}")
            assembled = assemble(
                plan, platforms, layout_dir=Path(home) / "oci", ref="reproducible", env=isolated,
                base_reference=runtime_reference(plan),
                epochs=source_date_epochs(plan.project.root, env),
            )  # fmt: skip
            found.append((assembled.digest, _diff_ids(assembled)))
            for name, digest in assembled.manifests.items():
                log.info(f"  {name}: {digest}")
    (first, layers_1), (second, layers_2) = found
    if first != second:
        differ = [
            f"{n}: layer {i + 1}"
            for n in layers_1
            for i, (a, b) in enumerate(zip(layers_1[n], layers_2.get(n, []), strict=False))
            if a != b
        ]
        msg = (
            f"Two builds gave two images ({first} and {second}); "
            f"{', '.join(differ) or 'their configs'} differ."
        )
        raise VerifyError(msg)
    return first


def _diff_ids(assembled: Assembled) -> dict[str, list[str]]:
    """platform -> the diff_ids of its image's layers, read back from the layout."""
    layout = OciLayout(assembled.layout)
    found = {}
    for name, digest in assembled.manifests.items():
        config = layout.read_json(layout.read_json(digest)["config"]["digest"])
        found[name] = list(config["rootfs"]["diff_ids"])
    return found


def runtime_reference(plan: Plan) -> str:
    """The production stage's base image, as the Dockerfile's FROM names it with its pins."""
    images_ = plan.base_images
    return images_.runtime_override or (
        f"python:{images_.python_version}-slim-{images_.debian_release}"
    )


def _loadable(assembled: Assembled, platforms: Sequence[TargetPlatform]) -> str:
    """What an engine can load: one image, this machine's when there are several."""
    if len(platforms) == 1:
        return assembled.ref
    here = this_machine()
    if here not in platforms:
        msg = (
            f"--load takes this machine's image ({here.name}), and it was not built: add it to "
            "--platform."
        )
        raise ConfigurationError(msg)
    return assembled.platform_ref(here.name)


def _layout_home(plan: Plan, env: Mapping[str, str]) -> Path:
    return cache_home(env) / "oci" / canonical_name(plan.project.name)


def check_tags(plan: Plan, request: BuildRequest) -> str:
    """The build's tag, each of its tags checked by the reference grammar: before the engine
    reads one as a flag (`--tag --help`), and before any engine is asked at all."""
    tag = request.tag or default_tag(plan, request.target)
    for name in (tag, *request.extra_tags):
        registry.parse_reference(name, what="an image tag")
    return tag


def build(plan: Plan, engine: engines.Engine, request: BuildRequest) -> str:
    """Build one target; return the image tag."""
    tag = check_tags(plan, request)
    # The user's environment, which the engine runs with, is where credentials come from.
    found = credentials.collect(plan.private_sources, engine.env)
    for warning in credentials.unused(plan.project, plan.private_sources, engine.env):
        log.warning(warning)
    with (
        build_inputs.dockerfile_for(plan) as (dockerfile, step_files),
        build_inputs.secret_files(found, plan.resolved.options.build_env) as secrets,
    ):
        secrets.update(step_files)
        ca_bundle = build_inputs.ca_bundle(plan)
        secrets.update(ca_bundle)
        build_args = build_inputs.build_args(
            plan,
            request,
            ca_bundle=ca_bundle.get(CA_BUNDLE_SECRET),
            state=build_inputs.state_dir(engine.env),
            base_digest=build_inputs.base_image_digest(engine, plan, request),
        )
        outputs, cache = build_outputs.shipping(plan, engine, request)
        stage_build = _StageBuild(plan, engine, dockerfile, build_args, secrets)
        # The inline cache holds only the final image's layers: each stage production copies
        # from carries its own, under its own tag, so a new engine reuses its steps too.
        for stage, carrier in cache.stage_carriers if cache else ():
            # buildx pushes from the builder; the classic builder's image is pushed after.
            stage_outputs = engines.Outputs(
                push=engine.buildx, cache_from=outputs.cache_from, builder=outputs.builder,
                driver=outputs.driver,
            )  # fmt: skip
            stage_build(stage, carrier, cache, stage_outputs)
            registry.push(engine, [] if engine.buildx else [carrier])
        stage_build(request.target, tag, cache, outputs)
    registry.push(
        engine, build_outputs.pushed_after(engine, outputs, tags=(tag, *request.extra_tags))
    )
    if request.push and request.target == "production":
        build_outputs.attach_sbom(engine, image=tag, pushed=(tag, *request.extra_tags))
    return tag


@dataclass(frozen=True)
class _StageBuild:
    """One `build` of a stage of the plan's Dockerfile, with its inputs."""

    plan: Plan
    engine: engines.Engine
    dockerfile: Path
    build_args: Mapping[str, str]
    secrets: Mapping[str, Path]

    def __call__(
        self,
        target: str,
        tag: str,
        cache: registry.Cache | None,
        outputs: engines.Outputs,
    ) -> None:
        argv = engines.build_argv(
            self.engine,
            context=self.plan.context,
            dockerfile=self.dockerfile,
            target=target,
            tag=tag,
            build_args={**self.build_args, **(cache.build_args if cache else {})},
            network=self.plan.resolved.options.network,
            secrets=self.secrets,
            outputs=outputs,
        )
        log.step(f"Building {target} image {tag}")
        shipped = (tag, *outputs.extra_tags) if outputs.push or outputs.cache_to else ()
        engines.build(self.engine, argv, explain=registry.explainer(shipped))
        log.step_end()


def run(
    plan: Plan,
    engine: engines.Engine,
    *,
    image: str,
    command: Sequence[str],
    env: Mapping[str, str],
    interactive: bool,
) -> int:
    options = plan.resolved.options
    network = options.network
    publish = [] if network == "host" else [f"{options.port}:{options.port}"]
    with engines.settings_file(env) as env_file:
        argv = engines.run_argv(
            engine,
            image,
            command=command,
            env_file=env_file,
            network=network,
            publish=publish if plan.spec.http else [],
            interactive=interactive,
        )
        return engines.run(engine, argv)


def dev(
    plan: Plan,
    engine: engines.Engine,
    *,
    replan: Callable[[], Plan],
    env: Mapping[str, str],
    command: Sequence[str],
    interactive: bool,
    tag: str | None = None,
) -> int:
    """The development image with the sources live in it (developing/loop.py); `replan`
    reads the project again, for the rebuild after pyproject.toml or poetry.lock changed."""
    options = plan.resolved.options
    session = loop.session(
        project=plan.project.root,
        context=plan.context,
        name=canonical_name(plan.project.name),
        port=options.port if plan.spec.http else None,
        network=options.network,
        restarts=plan.spec.loop == "restart",
    )
    if not command and plan.spec.command_line:
        # A command-line tool has no server to keep up: a shell in its environment (`poetry
        # run bash`) at a terminal, else its development command once.
        command = ("bash",) if interactive else plan.spec.development_command
    request = BuildRequest(target="development", tag=tag)
    plans = iter([plan])  # the first build uses the plan made already; each rebuild, a new one
    return loop.develop(
        engine, session, build=lambda: build(next(plans, None) or replan(), engine, request),
        env=env, command=command, interactive=interactive,
    )  # fmt: skip


def verify(
    plan: Plan,
    engine: engines.Engine,
    *,
    tags: Mapping[Target, str | None],
    env: Mapping[str, str] | None = None,
) -> list[VerifyResult]:
    """Build and check each target, with `env` in every container; raise VerifyError naming
    every failed check."""
    results = []
    for target in TARGETS:
        image = build(plan, engine, BuildRequest(target=target, tag=tags.get(target)))
        results.append(_verify_one(plan, engine, image, target=target, env=env))
    _raise_for_failed(results)
    return results


def verify_pulled(
    plan: Plan,
    engine: engines.Engine,
    *,
    image: str,
    env: Mapping[str, str] | None = None,
) -> VerifyResult:
    """Pull a production image someone pushed and check it as `verify` checks its own build:
    nothing is built, so what is checked is what the registry holds."""
    registry.pull(engine, image)
    result = _verify_one(plan, engine, image, target="production", env=env)
    _raise_for_failed([result], done="pulled")
    return result


def _verify_one(
    plan: Plan,
    engine: engines.Engine,
    image: str,
    *,
    target: Target,
    env: Mapping[str, str] | None,
) -> VerifyResult:
    log.step(f"Verifying {target} image {image}")
    result = verify_image(
        engine, image, target=target, project=plan.project, spec=plan.spec, env=env
    )
    for check in result.checks:
        log.info(f"  [{'ok' if check.passed else 'FAILED'}] {check.name}: {check.detail}")
    log.step_end(success=result.passed)
    return result


def _raise_for_failed(results: Sequence[VerifyResult], *, done: str = "built") -> None:
    failed = [f"{r.target}: {c.name}" for r in results for c in r.checks if not c.passed]
    if failed:
        exited = any(f.endswith(": start") for f in failed)
        msg = (
            f"The images were {done}, but these checks failed: {', '.join(failed)}. "
            "The details and the container's log are above."
            + (
                " The app exited at start: give it the settings it needs with --run-env KEY=VALUE "
                "or --env-file FILE."
                if exited
                else ""
            )
        )
        raise VerifyError(msg)
