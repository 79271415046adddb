"""Checks of a console-script image (no server): the commands they run, through a fake engine."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from quatrain import cmd
from quatrain.detect import detect
from quatrain.engine import Engine
from quatrain.options import Options
from quatrain.project import Project, load_project
from quatrain.verify import Check, verify_image
from unit.conftest import lock_text, locked, pep621, write_project

ENGINE = Engine(
    binary="docker", client_version="28.5.1", server_version="28.5.1", buildx=True, env={}
)


@dataclass
class FakeDocker:
    """Stands in for `cmd.capture`: every run exits with `code`; the argv are recorded."""

    code: int = 0
    stderr: str = ""
    calls: list[list[str]] = field(default_factory=list)

    def capture(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = False
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        return subprocess.CompletedProcess(list(argv), self.code, "", self.stderr)


@pytest.fixture
def greeter(tmp_path: Path) -> Project:
    files = {
        "pyproject.toml": pep621(
            "greeter",
            dependencies=["colorama"],
            extra='\n[project.scripts]\ngreet = "greeter.cli:main"\n',
        ),
        "greeter/__init__.py": "",
    }
    return load_project(write_project(tmp_path, files, lock=lock_text(locked("colorama"))))


@pytest.mark.parametrize(
    ("target", "arguments"),
    [("production", ["--help"]), ("development", ["greet", "--help"])],
)
def test_a_console_script_image_is_checked_by_importing_and_running_help(
    greeter: Project, monkeypatch: pytest.MonkeyPatch, target: str, arguments: list[str]
) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(cmd, "capture", fake.capture)

    result = verify_image(
        ENGINE, "greeter:x", target=target, project=greeter, spec=detect(greeter, Options())
    )

    assert fake.calls == [
        [
            "docker", "run", "--rm", "--entrypoint", "python", "--network", "none",
            "greeter:x", "-c", "import greeter",
        ],
        ["docker", "run", "--rm", "--network", "none", "greeter:x", *arguments],
    ]  # fmt: skip
    assert result.checks == (
        Check(name="import", passed=True, detail="`python -c 'import greeter'` works"),
        Check(
            name="command", passed=True, detail=f"`docker run IMAGE {' '.join(arguments)}` exits 0"
        ),
    )
    assert result.passed is True


def test_a_failing_command_reports_its_exit_code_and_the_end_of_its_output(
    greeter: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker(code=2, stderr="line 1\nline 2\nusage: greet NAME\n")
    monkeypatch.setattr(cmd, "capture", fake.capture)

    result = verify_image(
        ENGINE, "greeter:x", target="production", project=greeter, spec=detect(greeter, Options())
    )

    assert result.checks[1] == Check(
        name="command",
        passed=False,
        detail="`docker run IMAGE --help` exits 2: line 1\nline 2\nusage: greet NAME",
    )
    assert result.passed is False
