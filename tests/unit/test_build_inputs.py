"""What a build hands the engine: build arguments, ignore rules, secret files, the CA bundle."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import stat
import subprocess
from pathlib import Path
from typing import cast

import pytest

from quatrain import engines
from quatrain.building.build_inputs import (
    BUILD_ENV_SECRET,
    base_image_digest,
    build_args,
    build_env_file,
    dockerfile_for,
    ignore_rules,
    secret_files,
    state_dir,
)
from quatrain.errors import ProjectError
from quatrain.pipeline import make_plan
from quatrain.plan import BuildRequest
from unit.conftest import flask_project, write_tree
from unit.test_node_packages import _site

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def in_repository(root: Path) -> Path:
    """The project at root/shop, in a git repository at root whose HEAD is COMMIT."""
    write_tree(root, {".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": f"{COMMIT}\n"})
    return flask_project(root / "shop", {"shop/__init__.py": FACTORY})


def test_a_build_gets_the_build_args_option_and_the_git_revision(tmp_path: Path) -> None:
    the_plan = make_plan(
        in_repository(tmp_path), env={}, cli={"build_args": "PIP_INDEX_URL=https://x"}
    )

    assert build_args(the_plan, BuildRequest()) == {
        "PIP_INDEX_URL": "https://x",
        "REVISION": COMMIT,
    }


def test_the_command_lines_build_args_win_over_the_option_and_the_revision(
    tmp_path: Path,
) -> None:
    the_plan = make_plan(in_repository(tmp_path), env={}, cli={"build_args": "A=option B=option"})
    request = BuildRequest(build_args={"B": "flag", "REVISION": "v1.2.3"})

    assert build_args(the_plan, request) == {"A": "option", "B": "flag", "REVISION": "v1.2.3"}


def test_a_project_outside_git_passes_no_revision(tmp_path: Path) -> None:
    the_plan = make_plan(flask_project(tmp_path, {"shop/__init__.py": FACTORY}), env={}, cli={})

    assert build_args(the_plan, BuildRequest()) == {}


def test_a_kept_ca_bundle_passes_its_digest_so_a_new_bundle_misses_the_cache(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "corporate.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    project = flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})
    kept = make_plan(project, env={}, cli={"ca_bundle": str(bundle), "keep_ca_bundle": "true"})
    dropped = make_plan(project, env={}, cli={"ca_bundle": str(bundle)})

    # `sha256sum corporate.pem`
    assert build_args(kept, BuildRequest(), ca_bundle=bundle) == {
        "CA_BUNDLE_SHA256": "b93f51c3ac1bdd90edcce2019d2452a328cbf97443f3744cc7ec63033a5b2c16"
    }
    assert build_args(dropped, BuildRequest(), ca_bundle=bundle) == {}


def test_build_env_passes_a_token_where_a_production_step_reads_it_and_never_a_digest(
    tmp_path: Path,
) -> None:
    site = _site(tmp_path / "site", npm_files=(), django_npm=False)
    shop = flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})
    settings = {"build_env": "SECRET_KEY=canary-4f1d"}
    state = tmp_path / "state"

    first = build_args(make_plan(site, env={}, cli=settings), BuildRequest(), state=state)
    again = build_args(make_plan(site, env={}, cli=settings), BuildRequest(), state=state)
    changed = build_args(
        make_plan(site, env={}, cli={"build_env": "SECRET_KEY=canary-5e2c"}),
        BuildRequest(),
        state=state,
    )

    assert list(first) == ["BUILD_ENV_REVISION"]
    assert re.fullmatch("[0-9a-f]{32}", first["BUILD_ENV_REVISION"])
    assert first == again  # the same settings: the steps that read them stay cached
    assert changed != first  # new settings re-run them
    # no function of the secret: not its digest, not in the file that remembers the tokens
    lines = b"SECRET_KEY=canary-4f1d\n"
    assert first["BUILD_ENV_REVISION"] not in hashlib.sha256(lines).hexdigest()
    remembered = (state / "build-env-revisions.json").read_bytes()
    assert b"canary" not in remembered
    assert stat.S_IMODE((state / "build-env-revisions.json").stat().st_mode) == 0o600
    assert build_args(make_plan(shop, env={}, cli=settings), BuildRequest(), state=state) == {}
    dockerfile = make_plan(site, env={}, cli={}).files["Dockerfile"]
    assert dockerfile.index('ARG BUILD_ENV_REVISION=""\n') < dockerfile.index("collectstatic")


def test_without_a_state_directory_every_build_env_gets_a_new_token(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", npm_files=(), django_npm=False)
    plan = make_plan(site, env={}, cli={"build_env": "SECRET_KEY=x"})

    assert build_args(plan, BuildRequest()) != build_args(plan, BuildRequest())
    assert state_dir({"HOME": "/home/ann"}) == Path("/home/ann/.cache/quatrain")
    assert state_dir({"XDG_CACHE_HOME": "/c", "HOME": "/h"}) == Path("/c/quatrain")
    assert state_dir({}) is None


def test_a_build_without_init_keeps_out_what_the_users_own_dockerignore_keeps_out(
    tmp_path: Path,
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY, ".dockerignore": "secrets/\n"})

    rules = ignore_rules(make_plan(root, env={}, cli={}))

    assert rules.startswith("# Keeps the build context small")
    assert rules.endswith(
        "\n# The project's own .dockerignore:\nsecrets/\n"
        "# What the build reads, let back in:\n!pyproject.toml\n!poetry.lock\n"
    )


def test_a_users_rule_in_another_encoding_reaches_the_build_byte_for_byte(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})
    (root / ".dockerignore").write_bytes(b"caf\xe9-secrets/\n")

    with dockerfile_for(make_plan(root, env={}, cli={})) as (dockerfile, _):
        written = dockerfile.with_name("Dockerfile.dockerignore").read_bytes()

    assert b"\ncaf\xe9-secrets/\n" in written
    assert "\ufffd".encode() not in written


def test_a_dockerignore_linked_from_outside_the_context_is_refused_not_skipped(
    tmp_path: Path,
) -> None:
    outside = write_tree(tmp_path / "shared", {"ignore": "secrets/\n"}) / "ignore"
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})
    (root / ".dockerignore").symlink_to(outside)
    the_plan = make_plan(root, env={}, cli={})

    with pytest.raises(ProjectError) as raised:
        ignore_rules(the_plan)

    assert str(raised.value) == (
        f"{the_plan.context / '.dockerignore'} is a symbolic link to {outside}, outside the build "
        f"context {the_plan.context}: quatrain reads nothing from outside it, and building "
        "without those rules would let in what they keep out. Replace the link with a copy of "
        "the file (or with a link to a file inside the context) and build again."
    )


def test_a_dockerignore_linked_to_a_file_inside_the_context_keeps_its_rules(
    tmp_path: Path,
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY, "docker/ignore": "secrets/\n"})
    (root / ".dockerignore").symlink_to(root / "docker" / "ignore")

    rules = ignore_rules(make_plan(root, env={}, cli={}))

    assert "\n# The project's own .dockerignore:\nsecrets/\n" in rules


def test_build_env_becomes_shell_lines_that_set_each_value_and_run_nothing() -> None:
    text = build_env_file({"SECRET_KEY": "s3cr'$t; rm -rf /", "DEBUG": "0"})

    assert text == "DEBUG=0\nSECRET_KEY='s3cr'\"'\"'$t; rm -rf /'\n"


def test_build_env_is_a_secret_file_only_the_user_can_read() -> None:
    with secret_files([], {"SECRET_KEY": "x"}) as paths:
        path = paths[BUILD_ENV_SECRET]
        assert path.read_text() == "SECRET_KEY=x\n"
        assert path.stat().st_mode & 0o077 == 0
    assert not path.exists()


def test_the_base_images_digest_is_passed_where_the_engine_has_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = make_plan(flask_project(tmp_path, {"shop/__init__.py": FACTORY}), env={}, cli={})
    asked: list[tuple[str, ...]] = []
    digest = "sha256:" + "c" * 64

    def inspect(engine: object, *args: str, echo: bool = True) -> subprocess.CompletedProcess[str]:
        asked.append(args)
        found = f'["docker.io/library/python@{digest}"]' if "3.12" in args[-1] else "[]"
        return subprocess.CompletedProcess(args, 0, stdout=found + "\n", stderr="")

    monkeypatch.setattr("quatrain.engines.capture", inspect)
    engine = cast("engines.Engine", object())
    pinned = BuildRequest(build_args={"PYTHON_VERSION": "3.12", "DEBIAN_RELEASE": "bookworm"})

    assert base_image_digest(engine, plan, pinned) == digest
    assert asked[-1][-1] == "python:3.12-slim-bookworm"
    assert build_args(plan, pinned, base_digest=digest)["BASE_IMAGE_DIGEST"] == digest
    other = BuildRequest(build_args={"PYTHON_VERSION": "3.13"})
    assert base_image_digest(engine, plan, other) is None  # built or imported here: none
    assert "BASE_IMAGE_DIGEST" not in build_args(plan, other)
    development = dataclasses.replace(pinned, target="development")
    asked.clear()
    assert base_image_digest(engine, plan, development) is None  # no SBOM step: not asked
    assert asked == []
