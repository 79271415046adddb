"""What one build hands the engine besides the context: the Dockerfile to build (the user's
edited one or a fresh render, with its ignore rules), the secret files, the CA bundle and the
build arguments. Each is prepared here and removed after the build; `pipeline.build` only
puts them together.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shlex
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quatrain import engines
from quatrain.dockerfile import generated
from quatrain.dockerfile.instructions import CA_BUNDLE_SECRET
from quatrain.dockerfile.render import (
    DOCKERFILE,
    DOCKERFILE_DOCKERIGNORE,
    DOCKERIGNORE,
    SBOM_SCRIPT,
    sbom_secret_id,
)
from quatrain.errors import ConfigurationError, ProjectError
from quatrain.log import log
from quatrain.reading import credentials

if TYPE_CHECKING:  # the pipeline's values, read here; the pipeline imports this module
    from quatrain.plan import BuildRequest, Plan


def base_image_digest(engine: engines.Engine, plan: Plan, request: BuildRequest) -> str | None:
    """The digest of production's base image, where the engine has it from a registry (pulled
    or pushed): the SBOM names the image by it. None for an image built or imported here, or
    one the build will pull, and for a build that stops short of production (whose SBOM step
    alone reads it): the engine is not asked."""
    if request.target != "production":
        return None
    pins = {
        "PYTHON_VERSION": plan.base_images.python_version,
        "DEBIAN_RELEASE": plan.base_images.debian_release,
        **plan.resolved.options.build_args,
        **request.build_args,
    }
    reference = plan.base_images.runtime
    for name, value in pins.items():
        reference = reference.replace(f"${{{name}}}", value)
    found = engines.capture(
        engine, "image", "inspect", "--format", "{{json .RepoDigests}}", reference, echo=False
    )
    if found.returncode != 0:
        return None
    try:
        digests = json.loads(found.stdout or "null") or []
    except ValueError:
        return None
    # `python@sha256:...` from Docker, `docker.io/library/python@sha256:...` from Podman.
    name = reference.partition("@")[0]
    name = name.rpartition(":")[0] if name.rfind(":") > name.rfind("/") else name
    chosen = next((d for d in digests if d.partition("@")[0].endswith(name)), None)
    return chosen.partition("@")[2] if chosen else None


def build_args(
    plan: Plan,
    request: BuildRequest,
    *,
    ca_bundle: Path | None = None,
    state: Path | None = None,
    base_digest: str | None = None,
) -> dict[str, str]:
    """The build-args option, the git revision for the labels, the digest of a CA bundle that
    production keeps, the revision of build-env's settings (remembered in `state`, a
    directory of the user's), then the command line's."""
    revision = plan.project.revision
    # BuildKit's cache key never includes a secret's content: without the digest, a new bundle
    # would be served the old one from the cache.
    kept = ca_bundle if ca_bundle and plan.resolved.options.keep_ca_bundle else None
    # The same for build-env, which only the production steps (collectstatic) read; but a
    # secret's digest would let anyone with the image confirm a guess, so its build argument
    # is a random token that changes when the settings do.
    settings = plan.resolved.options.build_env
    steps_read = bool(settings) and bool(plan.spec.production_steps)
    return {
        **plan.resolved.options.build_args,
        **({"REVISION": revision} if revision else {}),
        **({"CA_BUNDLE_SHA256": hashlib.sha256(kept.read_bytes()).hexdigest()} if kept else {}),
        **({BUILD_ENV_REVISION: build_env_revision(settings, state)} if steps_read else {}),
        **({"BASE_IMAGE_DIGEST": base_digest} if base_digest else {}),
        **request.build_args,
    }


def ca_bundle(plan: Plan) -> dict[str, Path]:
    """The ca-bundle option as a secret file, or nothing when it is not set."""
    bundle = plan.resolved.options.ca_bundle
    if bundle is None:
        return {}
    path = Path(bundle).expanduser()
    if not path.is_file():
        msg = f"ca-bundle {bundle!r} is not a file. Point it at a PEM bundle on this machine."
        raise ConfigurationError(msg)
    return {CA_BUNDLE_SECRET: path.resolve()}


BUILD_ENV_SECRET = "build-env"
BUILD_ENV_REVISION = "BUILD_ENV_REVISION"
_STATE_FILE = "build-env-revisions.json"
_REMEMBERED = 64  # settings remembered; an older one gets a new token, which only re-runs steps


def state_dir(env: Mapping[str, str]) -> Path | None:
    """quatrain's directory in the user's cache (XDG): what it remembers between builds."""
    cache = env.get("XDG_CACHE_HOME") or (env.get("HOME") and f"{env['HOME']}/.cache")
    return Path(cache) / "quatrain" if cache else None


def build_env_revision(settings: Mapping[str, str], state: Path | None) -> str:
    """A token for build-env's settings that is no function of them: random, and the same as
    long as the settings are, so that BuildKit re-runs the steps that read them only when they
    change. This machine remembers which settings had which token by an HMAC under a random
    key, both in `state` (the user's cache directory, readable by the user alone); without a
    state directory every build gets a new token."""
    if state is None:
        return secrets.token_hex(16)
    path = state / _STATE_FILE
    remembered = _read_state(path)
    key = bytes.fromhex(remembered.get("key") or secrets.token_hex(32))
    tokens: dict[str, str] = dict(remembered.get("tokens") or {})
    mac = hmac.new(key, build_env_file(settings).encode(), hashlib.sha256).hexdigest()
    token = tokens.pop(mac, None) or secrets.token_hex(16)
    tokens[mac] = token  # last: the most recently used
    kept = dict(list(tokens.items())[-_REMEMBERED:])
    _write_state(path, {"key": key.hex(), "tokens": kept})
    return token


def _read_state(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: start afresh, which only re-runs the steps
    return found if isinstance(found, dict) else {}


def _write_state(path: Path, state: Mapping[str, Any]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        json.dump(state, out)
    partial.replace(path)


def build_env_file(settings: Mapping[str, str]) -> str:
    """The build-env option as lines a POSIX shell sources: `KEY='value'`, each value quoted
    so that sourcing it sets the value and runs nothing (the names are checked by the schema)."""
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in sorted(settings.items()))


@contextmanager
def secret_files(
    found: list[credentials.Credential], build_env: Mapping[str, str] | None = None
) -> Iterator[dict[str, Path]]:
    """The secrets as files only the user can read, in a directory removed after the build."""
    files = {}
    if found:
        files[credentials.POETRY_AUTH_SECRET] = credentials.auth_toml(found)
        files[credentials.NETRC_SECRET] = credentials.netrc(found)
    if build_env:
        files[BUILD_ENV_SECRET] = build_env_file(build_env)
    if not files:
        yield {}
        return
    with engines.private_files(files) as paths:
        yield paths


@contextmanager
def dockerfile_for(plan: Plan) -> Iterator[tuple[Path, dict[str, Path]]]:
    """The Dockerfile to build and the files it takes as secrets: the project's own generated
    Dockerfile if the user edited it, else a fresh render.

    A fresh render goes to a temporary directory with a `Dockerfile.dockerignore` beside it,
    which BuildKit reads in place of the context's .dockerignore, and its SBOM step, which the
    engine gets as a secret file: the user's tree is not touched.
    """
    on_disk = plan.project.root / DOCKERFILE
    if on_disk.is_file():
        text = on_disk.read_text(encoding="utf-8", errors="replace")
        if generated.is_generated(text) and not generated.is_unedited(text):
            log.info(f"Using {on_disk}, which you edited; `quatrain init --force` renders anew.")
            _check_sbom_script(plan, text)
            yield on_disk, {}
            return
    with tempfile.TemporaryDirectory(prefix="quatrain-") as tmp:
        dockerfile = Path(tmp) / DOCKERFILE
        dockerfile.write_text(plan.build_dockerfile, encoding="utf-8")
        ignore = Path(tmp) / DOCKERFILE_DOCKERIGNORE
        # surrogateescape: the user's rules go back out as the bytes they were read as.
        ignore.write_bytes(ignore_rules(plan).encode("utf-8", errors="surrogateescape"))
        script = Path(tmp) / SBOM_SCRIPT
        script.write_text(plan.files[SBOM_SCRIPT], encoding="utf-8")
        yield dockerfile, {sbom_secret_id(): script}


def _check_sbom_script(plan: Plan, dockerfile: str) -> None:
    """An edited Dockerfile whose SBOM step reads quatrain-sbom.py from the context needs the
    file there: say so before the engine fails on a missing mount source."""
    script = plan.project.root / SBOM_SCRIPT
    if SBOM_SCRIPT in dockerfile and not script.is_file():
        msg = (
            f"{plan.project.root / DOCKERFILE} runs {SBOM_SCRIPT} from the build context, and "
            f"{script} is not there. Run `quatrain init` to write it (your Dockerfile is kept)."
        )
        raise ProjectError(msg)


def ignore_rules(plan: Plan) -> str:
    """quatrain's .dockerignore, then the user's own rules: BuildKit reads only the file beside
    the Dockerfile, and what the user keeps out (keys, secrets/) must stay out of the images.
    The few files the build itself reads are let back in by name: a .dockerignore written for
    another Dockerfile often leaves out README.md or LICENSE, which `poetry build` packs."""
    ours = plan.files[plan.layout.ignore_file]
    own = _own_dockerignore(plan.context)
    if own is None:
        return ours
    try:
        # Every byte kept (a rule naming a file in another encoding still matches it), line
        # ends too: read_text would make a lone CR a line break, which BuildKit's reader,
        # splitting at LF alone, does not.
        text = own.read_bytes().decode("utf-8", errors="surrogateescape")
    except OSError as error:
        msg = (
            f"Cannot read {own}: {error.strerror or error}. Its rules must keep the same files "
            "out of this build as out of yours: make it readable and build again."
        )
        raise ProjectError(msg) from error
    if generated.is_generated(text) and generated.is_unedited(text):
        return ours  # ours, as init wrote it
    needed = ["pyproject.toml", "poetry.lock", *plan.project.build_files]
    back = "".join(f"!{plan.layout.prefix}{name}\n" for name in needed)
    return (
        f"{ours}\n# The project's own .dockerignore:\n{text.rstrip()}\n"
        f"# What the build reads, let back in:\n{back}"
    )


def _own_dockerignore(context: Path) -> Path | None:
    """The context's .dockerignore, read through a link that stays inside the context; one
    that leads out of it is refused, since skipping it would let in what it keeps out."""
    own = context / DOCKERIGNORE
    target = own.resolve()
    if own.is_symlink() and not target.is_relative_to(context.resolve()):
        msg = (
            f"{own} is a symbolic link to {target}, outside the build context {context}: "
            "quatrain reads nothing from outside it, and building without those rules would "
            "let in what they keep out. Replace the link with a copy of the file (or with a "
            "link to a file inside the context) and build again."
        )
        raise ProjectError(msg)
    return target if target.is_file() else None
