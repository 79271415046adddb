"""Shipping an image: push its tags, pull one back, and a build cache kept in a registry.

Credentials are the engine's own (`docker login HOST`, in the client's DOCKER_CONFIG): quatrain
never takes or stores a registry password, so nothing of it can reach a log or a layer.

Which cache a builder can keep in a registry (buildx and BuildKit docs, checked here on Docker
20.10 and buildx 0.13):

- buildx with a container builder (driver docker-container, kubernetes, remote) exports every
  stage's steps as a cache manifest of its own: `type=registry,ref=REF,mode=max`.
- The engine's built-in BuildKit (classic `docker build`, and buildx's `docker` driver) exports
  only the inline cache: cache records in the pushed image's config, for the final image's
  layers alone (the steps of the build stage that production copies from are not in it). So
  quatrain also builds and pushes the build stage as an image of its own (tag `build`), whose
  inline cache holds staging's and build's steps, and reads both when it builds production.
- Podman (Buildah 1.28) has a registry cache of its own: `--cache-from REPO --cache-to REPO`,
  a repository without a tag, to which it pushes every RUN/COPY step's layer as a tag named by
  the step's content. Both targets share the repository.

Plain HTTP: Docker talks to a registry on loopback without TLS by itself; Podman needs
`--tls-verify=false`, which quatrain passes for loopback hosts only. `podman build` has one such
switch for every registry it touches (the cache and the FROM pulls alike), so it is turned off
only when every cache is on loopback, with `--pull=never`: the base images then come from
Podman's store, never from a registry without TLS verification.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from quatrain import cmd, engines
from quatrain.engines import Engine, Outputs
from quatrain.errors import ConfigurationError, RegistryError
from quatrain.log import log
from quatrain.settings.schema import IMAGE_REFERENCE, EngineKind

CacheMode = Literal["registry", "inline", "podman"]
INLINE_CACHE_ARG = "BUILDKIT_INLINE_CACHE"
# The stages a target copies its files from, whose steps the target's own inline cache lacks:
# production takes the venv and the wheel from build (staging is build's base, so build's
# image carries its layers too). Development is staging and its own steps: its image has all.
COPIED_FROM: Mapping[str, tuple[str, ...]] = {"production": ("build",)}


@dataclass(frozen=True, kw_only=True)
class ImageReference:
    """An image reference as Docker reads it (github.com/distribution/reference): the first
    component is the registry only when it has a '.' or a ':' or is localhost; otherwise the
    image is Docker Hub's, and a one-component name is an official image (`library/`)."""

    domain: str  # "docker.io", "registry.example.org", "127.0.0.1:5000"
    path: str  # "library/python", "myuser/app", "team/shop"
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        return f"{self.domain}/{self.path}"

    @property
    def api_host(self) -> str:
        """Where the registry's HTTP API answers: Docker Hub's is not docker.io itself."""
        return "registry-1.docker.io" if self.domain == "docker.io" else self.domain


def parse_reference(text: str, *, what: str = "an image reference") -> ImageReference:
    """The reference, by the one grammar the options are checked with; anything else (a flag,
    a space, an upper-case path) is a ConfigurationError before any engine or registry sees
    it."""
    if not re.fullmatch(IMAGE_REFERENCE, text):
        msg = (
            f"{text!r} is not {what}: expected [REGISTRY[:PORT]/]NAME[:TAG][@sha256:DIGEST], "
            "lowercase, e.g. registry.example.org/team/shop:1.2 or myuser/shop:1.2."
        )
        raise ConfigurationError(msg)
    rest, _, digest = text.partition("@")
    first, slash, remainder = rest.partition("/")
    if _names_registry(first, slash):
        domain, rest = first, remainder
    else:
        domain = "docker.io"
    port = domain.rpartition("]")[2].rpartition(":")[2] if ":" in domain else ""
    if port and (len(port) > 5 or not 1 <= int(port) <= 65535):  # digits of any length
        msg = f"{text!r} names the port {port}, and a port is a number from 1 to 65535."
        raise ConfigurationError(msg)
    name, colon, tag = rest.rpartition(":") if ":" in rest else (rest, "", "")
    path = name if "/" in name or domain != "docker.io" else f"library/{name}"
    return ImageReference(
        domain=domain, path=path, tag=tag if colon else None, digest=digest or None
    )


def host_of(reference: str) -> str:
    """The registry a reference names (see ImageReference); a reference the grammar refuses
    is judged by its first component alone."""
    try:
        return parse_reference(reference).domain
    except ConfigurationError:
        first, slash, _ = reference.partition("/")
        return first if _names_registry(first, slash) else "docker.io"


def _names_registry(first: str, slash: str) -> bool:
    """Docker's rule: a reference's first component is its registry only when more follows
    and it has a '.' or a ':' or is localhost."""
    return bool(slash) and ("." in first or ":" in first or first == "localhost")


# The hosts Docker reaches over plain HTTP without configuration, and quatrain lets Podman too.
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    """127.0.0.1, localhost or [::1], with a port or without."""
    name = host if host.endswith("]") else host.rsplit(":", 1)[0]
    return name in LOOPBACK


def tls_flags(engine: Engine, reference: str) -> list[str]:
    """What `podman push/pull` needs for a registry on loopback, which Docker needs nothing for."""
    return engines.module_of(engine).plain_http_flags(is_loopback(host_of(reference)))


def with_plain_http(engine: Engine, outputs: Outputs) -> Outputs:
    """Podman's build reaching its caches over plain HTTP, when every one of them is on
    loopback (its one switch covers every registry the build touches)."""
    caches = (*outputs.cache_from, *outputs.cache_to)
    if caches and all(tls_flags(engine, c) for c in caches):
        return dataclasses.replace(outputs, plain_http=True)
    return outputs


@dataclass(frozen=True, kw_only=True)
class Cache:
    """How one build reads and writes the cache at `cache-ref`."""

    mode: CacheMode
    cache_from: tuple[str, ...]
    cache_to: tuple[str, ...] = ()
    build_args: Mapping[str, str] = field(default_factory=dict)
    carrier: str | None = None  # inline: the tag that carries the cache, pushed with the image
    # inline: (stage, tag) of each stage the target copies from, built and pushed before it so
    # that its steps are in a cache too.
    stage_carriers: tuple[tuple[str, str], ...] = ()


def cache_for(
    repository: str, target: str, *, buildx: bool, driver: str, kind: EngineKind = "docker"
) -> Cache:
    """The cache of `target` at `repository` (tag: the target), in the best mode the builder
    has: registry (every stage) with a container builder, inline (final layers) otherwise;
    with an engine whose cache is a layer cache (Podman), that, in the repository itself."""
    if engines.ENGINES[kind].LAYER_CACHE:
        return _layer_cache(repository)
    reference = f"{repository}:{target}"
    if buildx and driver != "docker":
        return Cache(
            mode="registry",
            cache_from=(f"type=registry,ref={reference}",),
            cache_to=(f"type=registry,ref={reference},mode=max",),
        )
    stages = tuple((stage, f"{repository}:{stage}") for stage in COPIED_FROM.get(target, ()))
    return Cache(
        mode="inline",
        cache_from=(*(carrier for _, carrier in stages), reference),
        build_args={INLINE_CACHE_ARG: "1"},
        carrier=reference,
        stage_carriers=stages,
    )


def _layer_cache(repository: str) -> Cache:
    last = repository.rpartition("/")[2]
    bare = repository[: len(repository) - len(last)] + re.split("[:@]", last)[0]
    if ":" in last or "@" in last:
        msg = (
            f"cache-ref {repository} names a tag or a digest, and Podman's cache is a "
            "repository (REGISTRY/NAME): Buildah tags each step's layer there itself. Drop the "
            f"tag: --cache-ref {bare}."
        )
        raise RegistryError(msg)
    return Cache(mode="podman", cache_from=(repository,), cache_to=(repository,))


def push(engine: Engine, tags: Sequence[str]) -> None:
    """`docker push` each tag, as the classic builder cannot push itself."""
    for tag in tags:
        _transfer(engine, "push", tag, title="Pushing", action="push to")


def pull(engine: Engine, reference: str) -> None:
    _transfer(engine, "pull", reference, title="Pulling", action="pull")


def _transfer(engine: Engine, verb: str, reference: str, *, title: str, action: str) -> None:
    """`ENGINE push|pull REFERENCE`, its failure said as the registry's."""
    log.step(f"{title} {reference}")
    argv = [engine.binary, verb, *tls_flags(engine, reference), reference]
    code, lines = cmd.stream(argv, env=dict(engine.env))
    if code != 0:
        raise failure(lines, host=host_of(reference), action=action, what=reference)
    log.step_end()


def explainer(tags: Sequence[str]) -> Callable[[Sequence[str]], RegistryError | None]:
    """For engine.build: a build that failed on pushing `tags` or exporting a cache to their
    registry is a registry's failure, said as one. Only the closing line counts (buildx's
    `ERROR:`, Podman's `Error:`): a cache that is not there yet is an `#N ERROR` step line of a
    build that goes on."""

    def explain(lines: Sequence[str]) -> RegistryError | None:
        closing = [line for line in lines if line.startswith(("ERROR:", "Error: "))]
        for tag in tags:
            host = host_of(tag)
            if any(host in line for line in closing):
                return failure(closing, host=host, action="push to", what=tag)
        return None

    return explain


# The words of Docker 20.10, buildx 0.13 and distribution 2.8 for each kind of failure.
_UNAUTHORIZED = re.compile(
    r"unauthorized|authentication required|no basic auth credentials|\b40[13]\b|denied", re.I
)
_UNREACHABLE = re.compile(
    r"connection refused|no such host|i/o timeout|dial tcp|network is unreachable|"
    r"HTTP response to HTTPS client|tls:|x509:",
    re.I,
)
_MISSING = re.compile(r"manifest unknown|not found|does not exist", re.I)


def failure(lines: Sequence[str], *, host: str, action: str, what: str) -> RegistryError:
    """The engine's last word about a registry, said plainly; `action` is "push to" or
    "pull", `what` the reference."""
    said = next((line.strip() for line in reversed(lines) if line.strip()), "no message")
    if _UNAUTHORIZED.search(said):
        msg = (
            f"{host} refused to let the engine {action} {what}: it is not logged in there, or "
            f"its login may not do that ({said}). Run `docker login {host}` and try again; "
            "quatrain uses the engine's own login and takes no registry credentials."
        )
    elif _UNREACHABLE.search(said):
        msg = (
            f"The registry {host} could not be reached to {action} {what} ({said}). Check the "
            "host and port, that the registry is running and that this machine reaches it (a "
            "registry without TLS must be on 127.0.0.1 or in the engine's insecure-registries)."
        )
    elif _MISSING.search(said):
        msg = (
            f"{host} has no {what} ({said}). Check the name and tag; "
            f"`quatrain build --push --tag {what}` pushes one."
        )
    else:
        msg = f"Could not {action} {what} ({said})."
    return RegistryError(msg)
