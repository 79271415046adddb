"""The command line: parse, run one pipeline stop, turn a QuatrainError into its exit code.

This is the only module that reads os.environ or exits; everything below gets values.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from quatrain import __version__, engines, pipeline
from quatrain.assembling.platform import parse_platforms
from quatrain.building import registry
from quatrain.checking.verify import read_env_file
from quatrain.dockerfile import render
from quatrain.errors import ConfigurationError, QuatrainError
from quatrain.log import log
from quatrain.plan import TARGETS, BuildRequest, Plan, Target
from quatrain.settings.options import FIELDS, option_key, rule
from quatrain.settings.schema import EngineKind

F = TypeVar("F", bound=Callable[..., Any])


def option_flags(function: F) -> F:
    """One flag per Options field: `base_image` is `--base-image`, with the field's help. Each
    takes a string that `resolution.resolve` reads and checks as it does a QUATRAIN_* variable;
    a list or a table may be given more than once, and adds up (`--build-env A=1 --build-env
    B=2`), as its words in one flag do."""
    for name in reversed(list(FIELDS)):
        help_text = FIELDS[name].metadata.get("help", "")
        function = click.option(
            f"--{option_key(name)}", name, metavar=rule(name).metavar, default=None,
            help=help_text, multiple=_adds_up(name),
        )(function)  # fmt: skip
    return function


def _adds_up(name: str) -> bool:
    return rule(name).kind in ("array", "object")


def _cli_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The flags given, each as the one string a QUATRAIN_* variable would hold: the values of
    a repeated list or table flag joined by spaces, each keeping its own quoting."""
    given = {}
    for name in FIELDS:
        value = params.get(name)
        if _adds_up(name):
            if value:
                given[name] = " ".join(value)
        elif value is not None:
            given[name] = value
    return given


def _key_values(pairs: Sequence[str], flag: str) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            # Not the word itself: `-e TOKEN_VALUE` is a value given without its name, and an
            # error goes to terminals and CI logs.
            what = "a word without '='" if not sep else "'=...' without a name before it"
            msg = f"{flag} takes KEY=VALUE, and got {what} (not shown: it may be a secret)."
            raise ConfigurationError(msg)
        values[key] = value
    return values


def _plan(path: Path, params: Mapping[str, Any]) -> Plan:
    plan = pipeline.make_plan(path, env=dict(os.environ), cli=_cli_options(params))
    for warning in plan.warnings:
        log.warning(warning)
    return plan


def _engine(plan: Plan, kind: EngineKind | None = None) -> engines.Engine:
    """The engine the options name, or `kind` (where the daemonless image is checked)."""
    resolved = plan.resolved
    # The docker option's default names Docker's binary; Podman's is its own unless one is given.
    given = resolved.options.docker if resolved.sources["docker"] != "default" else None
    chosen = kind or resolved.options.engine
    if chosen == "none":
        msg = (
            "--engine none builds the production image (quatrain build, and verify): running "
            "and developing need a container engine, --engine docker or podman."
        )
        raise ConfigurationError(msg)
    binary = engines.binary_for(chosen, given)
    return engines.connect(binary, dict(os.environ), kind=chosen)


def run_env_options(function: F) -> F:
    """Settings for the containers that run and verify start, never baked into the image."""
    function = click.option(
        "--env-file", "env_file", type=click.Path(dir_okay=False, path_type=Path),
        help="KEY=VALUE lines for the containers (# comments; nothing is evaluated).",
    )(function)  # fmt: skip
    return click.option(
        "--run-env", "-e", "env_pairs", multiple=True,
        help="KEY=VALUE for the containers only (repeatable; wins over --env-file).",
    )(function)  # fmt: skip


def _run_env(pairs: Sequence[str], env_file: Path | None) -> dict[str, str]:
    from_file = read_env_file(env_file) if env_file else {}
    return {**from_file, **_key_values(pairs, "--run-env")}


platform_option = click.option(
    "--platform", "platforms", metavar="LIST",
    help="With --engine none: the platforms, e.g. linux/amd64,linux/arm64 (one image index); "
    "default: this machine's.",
)  # fmt: skip
project_path = click.argument(
    "path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path(".")
)
target_option = click.option(
    "--target",
    type=click.Choice(TARGETS),
    default="production",
    show_default=True,
    help="Which image: the production one or the development one.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quatrain")
@click.option(
    "--debug-traceback",
    is_flag=True,
    help="Print the traceback of an error (or set QUATRAIN_DEBUG_TRACEBACK=1).",
)
@click.pass_context
def cli(context: click.Context, debug_traceback: bool) -> None:
    """The right Docker images for a Poetry project: development and production.

    QUATRAIN_DEBUG_KEEP_CONTAINER=1 makes verify leave behind the containers it serves from,
    for a look inside; it says how to remove each.
    """
    if debug_traceback:  # read by `main`, which catches the error after click is done
        context.ensure_object(dict)["debug_traceback"] = True


@cli.command()
@project_path
@click.option("--force", is_flag=True, help="Replace files you wrote or edited (keeps a .bak).")
@click.option(
    "--stdout",
    "to_stdout",
    is_flag=True,
    help="Print the Dockerfile instead of writing (pipes into hadolint -).",
)
@click.option("--all", "all_files", is_flag=True, help="With --stdout: every file, each headed.")
@click.option(
    "--check", is_flag=True,
    help="Write nothing; exit 1 if a file quatrain wrote differs from what init would write now "
    "(for CI and pre-commit). Files you edited are left out.",
)  # fmt: skip
@option_flags
def init(
    path: Path, force: bool, to_stdout: bool, all_files: bool, check: bool, **params: Any
) -> None:
    """Write the Dockerfile, .dockerignore and quatrain-sbom.py into the project."""
    if check and (force or to_stdout):
        msg = "--check writes nothing: leave out --force and --stdout."
        raise ConfigurationError(msg)
    plan = _plan(path, params)
    if check:
        _check_written(plan)
        return
    if to_stdout and not all_files:
        click.echo(plan.files[render.DOCKERFILE], nl=False)
        return
    if to_stdout:
        for name, text in sorted(plan.files.items()):
            click.echo(f"# ----- {name}\n{text}", nl=False)
        return
    for note in plan.init_notes:
        log.warning(note)
    for written in pipeline.init(plan, force=force):
        backup = f" (your version kept as {written.backup.name})" if written.backup else ""
        log.info(f"{written.outcome:>9} {written.path}{backup}")


def _check_written(plan: Plan) -> None:
    """init --check: a line per file; exit 1 when one is stale or missing."""
    found = pipeline.freshness(plan)
    for name, state in found.items():
        mine = " (written or edited by you: not checked)" if state == "yours" else ""
        log.info(f"{state:>10} {name}{mine}")
    behind = [name for name, state in found.items() if state in ("stale", "missing")]
    if behind:
        log.info(
            f"{', '.join(behind)}: not what `quatrain init` writes now for this project "
            "(its pyproject.toml, poetry.lock and sources). Run it and commit the result."
        )
        click.get_current_context().exit(1)


@cli.command()
@project_path
@target_option
@click.option(
    "--tag", "-t", "tags", multiple=True,
    help="Image name and tag, e.g. REGISTRY/NAME:TAG (repeatable: the first is the build's); "
    "default: <project>:latest / :development.",
)  # fmt: skip
@click.option(
    "--push", is_flag=True,
    help="Push every tag once built, with the engine's own login (`docker login HOST`).",
)  # fmt: skip
@click.option(
    "--cache-from", "cache_from", multiple=True, metavar="SOURCE",
    help="Passed to the builder as --cache-from (repeatable), e.g. type=registry,ref=REF.",
)  # fmt: skip
@click.option(
    "--cache-to", "cache_to", multiple=True, metavar="DESTINATION",
    help="Passed to buildx as --cache-to (repeatable), e.g. type=registry,ref=REF,mode=max.",
)  # fmt: skip
@click.option("--build-arg", "build_arg", multiple=True, help="KEY=VALUE, passed to the build.")
@platform_option
@click.option(
    "--output", "output", metavar="oci:DIR",
    help="With --engine none: the OCI image layout to write (default: one in ~/.cache/quatrain).",
)  # fmt: skip
@click.option(
    "--load", "load", type=click.Choice(["docker", "podman"]), default=None,
    help="With --engine none: load the image into the local docker or podman.",
)  # fmt: skip
@option_flags
def build(path: Path, target: Target, tags: Sequence[str], push: bool,
          cache_from: Sequence[str], cache_to: Sequence[str], build_arg: Sequence[str],
          platforms: str | None, output: str | None, load: EngineKind | None,
          **params: Any) -> None:  # fmt: skip
    """Build an image of the project (no `init` needed: your tree is not touched)."""
    plan = _plan(path, params)
    daemonless = plan.resolved.options.engine == "none"
    given = [f for f, v in (("--platform", platforms), ("--output", output), ("--load", load)) if v]
    if given and not daemonless:
        msg = f"{', '.join(given)}: only with --engine none (the daemonless build)."
        raise ConfigurationError(msg)
    for_engines = [
        f for f, v in (("--cache-from", cache_from), ("--cache-to", cache_to),
                       ("--build-arg", build_arg)) if v
    ]  # fmt: skip
    if for_engines and daemonless:
        msg = (
            f"{', '.join(for_engines)}: a Dockerfile build's, and --engine none runs none (its "
            "layers are made from the lock, and only what changed is pushed)."
        )
        raise ConfigurationError(msg)
    request = BuildRequest(
        target=target,
        tag=tags[0] if tags else None,
        extra_tags=tuple(tags[1:]),
        push=push,
        cache_from=tuple(cache_from),
        cache_to=tuple(cache_to),
        build_args=_key_values(build_arg, "--build-arg"),
    )
    pipeline.check_tags(plan, request)  # a bad tag is the user's to fix, with no engine asked
    if daemonless:
        shipping = pipeline.Shipping(output=_oci_directory(output), load=load)
        pipeline.build_daemonless(
            plan, request, parse_platforms(platforms), shipping, env=dict(os.environ)
        )
        return
    pipeline.build(plan, _engine(plan), request)


def _oci_directory(output: str | None) -> Path | None:
    if output is None:
        return None
    if not output.startswith("oci:") or len(output) == len("oci:"):
        msg = f"--output {output!r}: write oci:DIR, the directory of an OCI image layout."
        raise ConfigurationError(msg)
    return Path(output.removeprefix("oci:")).resolve()


@cli.command(context_settings={"ignore_unknown_options": True})
@project_path
@target_option
@click.option("--tag", "-t", help="Image name and tag; default: <project>:latest / :development.")
@run_env_options
@click.argument("run_command", metavar="[-- COMMAND...]", nargs=-1, type=click.UNPROCESSED)
@option_flags
def run(path: Path, target: Target, tag: str | None, env_pairs: Sequence[str],
        env_file: Path | None, run_command: Sequence[str], **params: Any) -> int:  # fmt: skip
    """Build, then run the image; anything after `--` replaces its command."""
    plan, env = _plan(path, params), _run_env(env_pairs, env_file)
    request = BuildRequest(target=target, tag=tag)
    pipeline.check_tags(plan, request)
    engine = _engine(plan)
    image = pipeline.build(plan, engine, request)
    return pipeline.run(
        plan,
        engine,
        image=image,
        command=run_command,
        env=env,
        interactive=sys.stdin.isatty() and sys.stdout.isatty(),
    )


@cli.command()
@project_path
@click.option("--tag", "-t", help="Name the development image (default: <project>:development).")
@run_env_options
@click.argument("run_command", metavar="[-- COMMAND...]", nargs=-1, type=click.UNPROCESSED)
@option_flags
def dev(path: Path, tag: str | None, env_pairs: Sequence[str], env_file: Path | None,
        run_command: Sequence[str], **params: Any) -> int:  # fmt: skip
    """Serve the project from the development image, its sources live from the host.

    The dev server reloads an edit; a change of pyproject.toml or poetry.lock rebuilds and
    restarts; files the container writes stay the project owner's. The project's .env is read
    when there is no --env-file. `-- COMMAND` runs that instead (`-- pytest`, `-- poetry add
    NAME`). Ctrl-C stops and removes the container.
    """
    plan = _plan(path, params)
    own = plan.project.root / ".env"
    env = _run_env(env_pairs, env_file if env_file or not own.is_file() else own)
    pipeline.check_tags(plan, BuildRequest(target="development", tag=tag))
    return pipeline.dev(
        plan, _engine(plan), replan=lambda: _plan(path, params), env=env, command=run_command,
        tag=tag,
        interactive=sys.stdin.isatty() and sys.stdout.isatty(),
    )  # fmt: skip


@cli.command()
@project_path
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
@option_flags
def inspect(path: Path, as_json: bool, **params: Any) -> None:
    """Print how the project is served and every option, with where its value came from."""
    from quatrain import report

    plan = _plan(path, params)
    click.echo(report.as_json(plan) if as_json else report.as_text(plan), nl=False)


@cli.command()
@project_path
@run_env_options
@click.option(
    "--from-registry", "pulled", metavar="REF",
    help="Build nothing: pull this production image (REGISTRY/NAME:TAG) and verify it.",
)  # fmt: skip
@click.option(
    "--reproducible", is_flag=True,
    help="With --engine none: assemble twice, each in a new cache and layout, and compare the "
    "digests (nothing is run).",
)  # fmt: skip
@platform_option
@click.option(
    "--load", "load", type=click.Choice(["docker", "podman"]), default="docker",
    show_default=True, help="With --engine none: the engine the assembled image is checked in.",
)  # fmt: skip
@option_flags
def verify(path: Path, env_pairs: Sequence[str], env_file: Path | None, pulled: str | None,
           reproducible: bool, platforms: str | None, load: EngineKind,
           **params: Any) -> None:  # fmt: skip
    """Build both images and prove they work: import, serve on $PORT, stop on SIGTERM.

    With --engine none: the production image assembled from the lock, loaded into docker or
    podman and checked there; with --reproducible, assembled twice and compared instead."""
    plan, env = _plan(path, params), _run_env(env_pairs, env_file)
    daemonless = plan.resolved.options.engine == "none"
    if reproducible and not daemonless:
        msg = "--reproducible: only with --engine none (the daemonless build)."
        raise ConfigurationError(msg)
    if reproducible:
        digest = pipeline.verify_reproducible(
            plan, parse_platforms(platforms), env=dict(os.environ)
        )
        log.info(f"Reproducible: two builds gave {digest}.")
        return
    if daemonless:
        checker = _engine(plan, kind=load)
        pipeline.verify_daemonless(plan, checker, env=dict(os.environ), run_env=env)
        log.info("The assembled production image verified.")
        return
    if pulled:
        # A reference is read before any engine runs: `--from-registry --help` is no flag.
        registry.parse_reference(pulled, what="an image in a registry")
        pipeline.verify_pulled(plan, _engine(plan), image=pulled, env=env)
        log.info(f"{pulled} verified.")
        return
    pipeline.verify(plan, _engine(plan), tags={}, env=env)
    log.info("Both images verified.")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    state = {"debug_traceback": os.environ.get("QUATRAIN_DEBUG_TRACEBACK") == "1"}
    try:
        result = cli.main(args=args, prog_name="quatrain", standalone_mode=False, obj=state)
    except QuatrainError as error:
        log.step_end(success=False)
        if state["debug_traceback"]:
            traceback.print_exc()
        log.error(str(error))
        return error.return_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        # Ctrl-C: one line, and what init writes is whole or not there (generated.py).
        log.error("interrupted")
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
