"""Images in and out of an OCI layout, by skopeo: registries (the distribution spec's token
flow, the user's login, only the blobs a registry lacks), the local Docker or Podman, other
layouts. quatrain speaks no registry protocol of its own.

Where an image is read from or written to, as the user writes it:

    REGISTRY/NAME:TAG           a registry (plain HTTP only on loopback, as Docker allows)
    oci:DIR[:REF]               an OCI image layout
    docker-daemon:NAME:TAG      the local Docker engine
    containers-storage:NAME:TAG the local Podman store
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from quatrain import cmd
from quatrain.building.registry import failure, host_of, is_loopback, parse_reference
from quatrain.errors import ConfigurationError, EngineError
from quatrain.log import log

SKOPEO = "skopeo"
LOCAL_TRANSPORTS = ("docker-daemon:", "containers-storage:")
SOURCE_PREFIXES = ("oci:", *LOCAL_TRANSPORTS)  # what an image reference never starts with
# Where `--load` puts the image, by engine.
LOAD_TRANSPORT = {"docker": "docker-daemon:", "podman": "containers-storage:"}


def as_reference(source: str | None) -> str | None:
    """What a Dockerfile's FROM can say of an image the daemonless build reads: the engine's
    name of it, or None (the default image) for a layout."""
    if source is None or source.startswith("oci:"):
        return None
    for prefix in LOCAL_TRANSPORTS:
        source = source.removeprefix(prefix)
    return source


def source_name(reference: str) -> str:
    """skopeo's name for an image the user named (see the module's table)."""
    if reference.startswith("oci:"):
        return _oci_name(reference)
    if reference.startswith(LOCAL_TRANSPORTS):
        return reference
    parse_reference(reference, what="an image to read")
    return f"docker://{reference}"


def _oci_name(reference: str) -> str:
    directory, _, ref = reference.removeprefix("oci:").partition(":")
    if not directory:
        msg = f"{reference!r}: name the layout's directory, oci:DIR or oci:DIR:REF."
        raise ConfigurationError(msg)
    return f"oci:{Path(directory).resolve()}{':' + ref if ref else ''}"


def tls_flags(name: str, flag: str) -> list[str]:
    """`--src-tls-verify=false` (or dest) for a registry on loopback, which serves plain HTTP."""
    if name.startswith("docker://") and is_loopback(host_of(name.removeprefix("docker://"))):
        return [f"--{flag}-tls-verify=false"]
    return []


def auth_flags(env: Mapping[str, str], flag: str) -> list[str]:
    """The engine's own login: Docker's config.json where DOCKER_CONFIG puts it (skopeo
    otherwise reads Podman's auth.json, then ~/.docker/config.json)."""
    config = Path(env["DOCKER_CONFIG"]) / "config.json" if env.get("DOCKER_CONFIG") else None
    return [f"--{flag}-authfile", str(config)] if config and config.is_file() else []


def copy(
    source: str,
    destination: str,
    *,
    env: Mapping[str, str],
    architecture: str | None = None,
    all_platforms: bool = False,
    what: str,
) -> None:
    """`skopeo copy` between two names of skopeo's; a failure said as the registry's."""
    argv = [
        SKOPEO, "copy", "--quiet" if not all_platforms else "--all",
        *(["--override-os", "linux", "--override-arch", architecture] if architecture else []),
        *tls_flags(source, "src"), *auth_flags(env, "src"),
        *tls_flags(destination, "dest"), *auth_flags(env, "dest"),
        # A layout assembled here is pushed as it is: no conversion, so the digest stays (an
        # engine's store takes Docker's manifest format, a conversion it cannot do without).
        *(["--preserve-digests"] if _as_is(source, destination) else []),
        source, destination,
    ]  # fmt: skip
    code, lines = _run(argv)
    if code != 0:
        remote = next((n for n in (source, destination) if n.startswith("docker://")), None)
        if remote:
            host = host_of(remote.removeprefix("docker://"))
            action = "pull" if remote == source else "push to"
            raise failure(lines, host=host, action=action, what=remote.removeprefix("docker://"))
        said = next((line.strip() for line in reversed(lines) if line.strip()), "no message")
        msg = f"skopeo could not copy {what} ({said})."
        raise EngineError(msg)


def _as_is(source: str, destination: str) -> bool:
    return source.startswith("oci:") and destination.startswith(("docker://", "oci:"))


def push(layout: Path, ref: str, tags: Sequence[str], env: Mapping[str, str]) -> None:
    """Each tag, from the layout: skopeo asks the registry for each blob first and sends only
    those it lacks."""
    for tag in tags:
        parse_reference(tag, what="an image to push")
        log.step(f"Pushing {tag}")
        copy(f"oci:{layout}:{ref}", f"docker://{tag}", env=env, all_platforms=True, what=tag)
        log.step_end()


def load(layout: Path, ref: str, tag: str, engine: str, env: Mapping[str, str]) -> None:
    log.step(f"Loading {tag} into {engine}")
    destination = f"{LOAD_TRANSPORT[engine]}{tag}"
    copy(f"oci:{layout}:{ref}", destination, env=env, what=f"the image into {engine}")
    log.step_end()


def _run(argv: Sequence[str]) -> tuple[int, list[str]]:
    try:
        return cmd.stream(argv)
    except EngineError as error:
        if argv[0] == SKOPEO and "was not found" in str(error):
            msg = (
                "`skopeo` was not found: the daemonless build reads and writes images with it. "
                "Install it (Debian and Ubuntu: apt-get install skopeo)."
            )
            raise EngineError(msg) from error
        raise
