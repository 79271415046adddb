"""`verify` and `run` take settings for their containers: --run-env and --env-file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from quatrain import engines, pipeline
from quatrain.__main__ import main
from unit.conftest import flask_project

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Stands in for the engine and pipeline.verify/run; records the env they are given."""
    recorded: dict[str, Any] = {}
    monkeypatch.setattr(engines, "connect", lambda binary, env, kind: "engine")

    def verify(
        plan: object, engine: object, *, tags: object, env: Mapping[str, str]
    ) -> list[object]:
        recorded["env"] = dict(env)
        return []

    def run(plan: object, engine: object, **kwargs: Any) -> int:
        recorded["env"] = dict(kwargs["env"])
        return 0

    monkeypatch.setattr(pipeline, "verify", verify)
    monkeypatch.setattr(pipeline, "run", run)
    monkeypatch.setattr(pipeline, "build", lambda plan, engine, request: "shop:latest")
    return recorded


def test_verify_takes_settings_from_a_file_and_flags_the_flags_winning(
    tmp_path: Path, seen: dict[str, Any]
) -> None:
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})
    (tmp_path / "verify.env").write_text("# for verify\nSECRET_KEY=file\nDEBUG=0\n")

    code = main([
        "verify", str(root), "--env-file", str(tmp_path / "verify.env"),
        "--run-env", "SECRET_KEY=flag", "-e", "EXTRA=1",
    ])  # fmt: skip

    assert code == 0
    assert seen["env"] == {"SECRET_KEY": "flag", "DEBUG": "0", "EXTRA": "1"}


def test_run_takes_an_env_file_too(tmp_path: Path, seen: dict[str, Any]) -> None:
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})
    (tmp_path / "run.env").write_text("TOKEN=t\n")

    assert main(["run", str(root), "--env-file", str(tmp_path / "run.env")]) == 0
    assert seen["env"] == {"TOKEN": "t"}


def test_a_bad_env_file_line_is_a_configuration_error_before_anything_runs(
    tmp_path: Path, seen: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})
    (tmp_path / "bad.env").write_text("export TOKEN\n")

    assert main(["verify", str(root), "--env-file", str(tmp_path / "bad.env")]) == 2
    assert "line 1 is not KEY=VALUE: no '=' (the value is not shown)" in capsys.readouterr().err
    assert seen == {}
