"""Where a build's outputs go: the image's tags and the build cache (the request's and
cache-ref's, in the best mode the builder has), what is pushed after the build, and the SBOM
attached in the registry to what was pushed. build_inputs.py is what goes in."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from quatrain import engines
from quatrain.building import registry, sbom_push
from quatrain.dockerfile import sbom
from quatrain.log import log

if TYPE_CHECKING:  # the pipeline's values, read here; the pipeline imports this module
    from quatrain.plan import BuildRequest, Plan


def shipping(
    plan: Plan, engine: engines.Engine, request: BuildRequest
) -> tuple[engines.Outputs, registry.Cache | None]:
    """Where the build's image and cache go: the request's tags and caches, and cache-ref's
    cache in the best mode the builder has."""
    options = plan.resolved.options
    driver = engines.builder_driver(engine, options.builder) if engine.buildx else "docker"
    cache = None
    if options.cache_ref:
        cache = registry.cache_for(
            options.cache_ref, request.target, buildx=engine.buildx, driver=driver,
            kind=engine.kind,
        )  # fmt: skip
    carrier = (cache.carrier,) if cache and cache.carrier else ()
    outputs = engines.Outputs(
        extra_tags=(*request.extra_tags, *carrier),
        push=request.push,
        cache_from=(*request.cache_from, *(cache.cache_from if cache else ())),
        cache_to=(*request.cache_to, *(cache.cache_to if cache else ())),
        builder=options.builder,
        driver=driver,
    )
    return registry.with_plain_http(engine, outputs), cache


def pushed_after(
    engine: engines.Engine, outputs: engines.Outputs, *, tags: Sequence[str]
) -> list[str]:
    """The tags to `docker push` after the build: none when buildx pushed them itself, else the
    asked ones; and an inline cache's carrier tag always, since that push is its export."""
    if outputs.push and engine.buildx:
        return []
    carrier = [name for name in outputs.extra_tags if name not in tags]
    return [*(tags if outputs.push else ()), *carrier]


def attach_sbom(engine: engines.Engine, *, image: str, pushed: Sequence[str]) -> None:
    """The SBOM the production image carries, attached in each registry repository it was
    pushed to, as an OCI artifact whose subject is the pushed manifest."""
    read = engines.capture(
        engine, "run", "--rm", "--network", "none", "--entrypoint", "cat", image, sbom.SBOM_PATH
    )
    if read.returncode != 0:
        log.warning(
            f"{image} has no SBOM at {sbom.SBOM_PATH} (a Dockerfile of your own?), so none is "
            "attached in the registry."
        )
        return
    config = engine.env.get("DOCKER_CONFIG")
    config_dir = Path(config) if config else None
    repositories: dict[str, str] = {}
    for reference in pushed:  # myuser/app:1 is docker.io/myuser/app, never a host "myuser"
        repositories.setdefault(registry.parse_reference(reference).repository, reference)
    for repository, reference in repositories.items():
        digest = sbom_push.pushed_digest(reference, config_dir)
        attached = sbom_push.attach(f"{repository}@{digest}", read.stdout.encode(), config_dir)
        where = f"tag {attached.referrers_tag}" if attached.referrers_tag else "referrers API"
        log.info(f"SBOM attached to {repository}@{digest[:19]}...: {attached.digest} ({where})")
