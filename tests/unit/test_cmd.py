"""The one subprocess choke point, and the guard that keeps unit tests away from it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from quatrain import cmd
from quatrain.errors import EngineError
from unit.conftest import NO_PROCESS


def test_a_program_that_is_not_on_path_is_an_engine_error_that_says_how_to_point_at_it() -> None:
    with pytest.raises(EngineError) as raised:
        cmd.capture(["quatrain-test-no-such-program"])

    assert str(raised.value) == (
        "`quatrain-test-no-such-program` was not found. Install it, or point quatrain at it "
        "(for Docker: --docker PATH or QUATRAIN_DOCKER=PATH)."
    )


def test_call_echoes_the_command_before_it_runs_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError, match=NO_PROCESS):
        cmd.call([sys.executable, "-c", "print(1)"])

    assert capsys.readouterr().err == f"+ {sys.executable} -c 'print(1)'\n"


def test_capture_echoes_the_command_too(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError, match=NO_PROCESS):
        cmd.capture([sys.executable, "-V"])

    assert capsys.readouterr().err == f"+ {sys.executable} -V\n"


def test_the_quiet_mode_echoes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError, match=NO_PROCESS):
        cmd.capture([sys.executable, "-V"], echo=False)
    with pytest.raises(RuntimeError, match=NO_PROCESS):
        cmd.call([sys.executable, "-V"], echo=False)

    assert capsys.readouterr().err == ""


def test_a_program_that_is_not_found_is_not_echoed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(EngineError):
        cmd.call(["quatrain-test-no-such-program"])

    assert capsys.readouterr().err == ""


def test_unit_tests_cannot_start_a_process_any_way() -> None:
    with pytest.raises(RuntimeError, match=NO_PROCESS):
        subprocess.run(["true"], check=False)
    with pytest.raises(RuntimeError, match=NO_PROCESS):
        subprocess.Popen(["true"])
    with pytest.raises(RuntimeError, match=NO_PROCESS):
        subprocess.check_output(["true"])
    with pytest.raises(RuntimeError, match=NO_PROCESS):
        os.system("true")
