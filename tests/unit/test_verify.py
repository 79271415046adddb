"""Checks of a console-script image (no server): the commands they run, through a fake engine."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from quatrain import cmd, pipeline
from quatrain.checking import verify
from quatrain.checking.verify import Check, verify_image
from quatrain.detectors.detect import detect
from quatrain.engines import Engine
from quatrain.errors import ConfigurationError, VerifyError
from quatrain.reading.project import Project, load_project
from quatrain.settings.options import Options
from quatrain.spec import Kind, ServeSpec
from unit.conftest import lock_text, locked, pep621, write_project

ENGINE = Engine(
    binary="docker", client_version="28.5.1", server_version="28.5.1", buildx=True, env={}
)


# What the production image's contents check prints when all is well.
CONTENTS_OK = '{"uid": 10001, "missing": [], "extra": [], "count": 2}\n'


def contents_check(argv: Sequence[str]) -> bool:
    return any(word.startswith("\nimport importlib.metadata") for word in argv)


def settings_in(argv: Sequence[str]) -> list[str]:
    """The lines of the settings file a `run` names, read while it exists."""
    if "--env-file" not in argv:
        return []
    return Path(argv[list(argv).index("--env-file") + 1]).read_text().splitlines()


@dataclass
class FakeDocker:
    """Stands in for `cmd.capture`: every run exits with `code`; the argv are recorded."""

    code: int = 0
    stderr: str = ""
    contents: str = CONTENTS_OK
    calls: list[list[str]] = field(default_factory=list)
    settings: list[list[str]] = field(default_factory=list)  # each call's settings file

    def capture(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = False
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        self.settings.append(settings_in(argv))
        if contents_check(argv):
            return subprocess.CompletedProcess(list(argv), 0, self.contents, "")
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

    production = target == "production"
    assert fake.calls[:2] == [
        [
            "docker", "run", "--rm", "--entrypoint", "python", "--network", "none",
            "greeter:x", "-c", "import greeter",
        ],
        ["docker", "run", "--rm", "--network", "none", "greeter:x", *arguments],
    ]  # fmt: skip
    assert len(fake.calls) == (3 if production else 2)  # production's contents, in one run
    assert result.checks[:2] == (
        Check(name="import", passed=True, detail="`python -c 'import greeter'` works"),
        Check(
            name="command", passed=True, detail=f"`docker run IMAGE {' '.join(arguments)}` exits 0"
        ),
    )
    assert result.checks[2:] == (
        (
            Check(name="non-root", passed=True, detail="runs as uid 10001"),
            Check(
                name="sbom", passed=True,
                detail="/usr/share/doc/quatrain/sbom.cdx.json lists the 2 distributions installed",
            ),
        )
        if production
        else ()
    )  # fmt: skip
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


@dataclass
class ScriptedDocker:
    """Answers each engine subcommand (`run`, `exec`, `inspect`, `logs`...) as scripted: the
    answers in turn, the last one again once they run out."""

    answers: Mapping[str, list[tuple[int, str, str]]]
    calls: list[list[str]] = field(default_factory=list)
    settings: list[list[str]] = field(default_factory=list)  # each call's settings file

    def capture(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, echo: bool = False
    ) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        self.settings.append(settings_in(argv))
        if contents_check(argv):
            return subprocess.CompletedProcess(list(argv), 0, CONTENTS_OK, "")
        queue = self.answers.get(argv[1], [(0, "", "")])
        code, stdout, stderr = queue.pop(0) if len(queue) > 1 else queue[0]
        return subprocess.CompletedProcess(list(argv), code, stdout, stderr)


def worker_spec(kind: Kind = "worker") -> ServeSpec:
    return ServeSpec(
        detector="celery", kind=kind, framework="celery", app="jobs:app", found_in="jobs.py: app",
        production_command=("celery", "-A", "jobs", "worker", "--loglevel=INFO"),
        development_command=("celery", "-A", "jobs", "worker", "--loglevel=INFO"),
    )  # fmt: skip


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("quatrain.checking.verify.time.sleep", slept.append)
    return slept


def test_a_worker_passes_by_still_running_and_stopping_on_sigterm(
    greeter: Project, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
) -> None:
    # Running after the wait; stopped with exit 0 after `docker stop`.
    fake = ScriptedDocker(
        {"run": [(0, "c1\n", "")], "inspect": [(0, "true 0\n", ""), (0, "false 0\n", "")]}
    )
    monkeypatch.setattr(cmd, "capture", fake.capture)

    result = verify_image(
        ENGINE, "jobs:x", target="production", project=greeter, spec=worker_spec(),
        env={"BROKER_URL": "redis://nowhere"},
    )  # fmt: skip

    assert no_sleep == [verify.STAYS_UP_SECONDS]
    assert [c.name for c in result.checks] == ["import", "stays up", "stop", "non-root", "sbom"]
    assert result.passed is True
    started = fake.calls[1]
    assert started[:3] == ["docker", "run", "--detach"]
    assert "BROKER_URL=redis://nowhere" in fake.settings[1]
    assert not any("redis://nowhere" in word for word in started)


def test_a_worker_that_exits_at_start_reports_it_with_its_last_log_lines(
    greeter: Project, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
) -> None:
    fake = ScriptedDocker(
        {
            "run": [(0, "c1\n", "")],
            "inspect": [(0, "false 1\n", "")],
            "logs": [(0, "", "Traceback...\nKeyError: 'BROKER_URL'\n")],
        }
    )
    monkeypatch.setattr(cmd, "capture", fake.capture)

    result = verify_image(
        ENGINE, "jobs:x", target="production", project=greeter, spec=worker_spec()
    )

    assert result.checks[1] == Check(
        name="start",
        passed=False,
        detail=(
            "the app exited at start (exit 1), before its first seconds; its last log lines:\n"
            "Traceback...\nKeyError: 'BROKER_URL'\nA missing setting is the usual cause: pass "
            "it with --run-env KEY=VALUE or --env-file FILE."
        ),
    )
    assert ["docker", "logs", "--tail", "30", "c1"] in fake.calls


def test_a_server_that_exits_before_answering_is_told_apart_from_a_bad_answer(
    greeter: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = ScriptedDocker(
        {
            "run": [(0, "c1\n", "")],
            "exec": [(1, "", "Error: No such container: c1 is not running")],
            "inspect": [(0, "false 3\n", "")],
            "logs": [(0, "ImproperlyConfigured: SECRET_KEY must not be empty\n", "")],
        }
    )
    monkeypatch.setattr(cmd, "capture", fake.capture)

    result = verify_image(
        ENGINE, "shop:x", target="production", project=greeter, spec=worker_spec("wsgi"),
        env={"DEBUG": "0"},
    )  # fmt: skip

    assert result.checks[1].name == "start"
    assert result.checks[1].detail.startswith(
        "the app exited at start (exit 3), before answering on $PORT=18080; its last log "
        "lines:\nImproperlyConfigured: SECRET_KEY must not be empty\n"
    )
    assert "DEBUG=0" in fake.settings[1]
    assert "PORT=18080" in fake.settings[1]


def test_a_server_still_running_without_a_good_answer_is_a_serve_failure(
    greeter: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = ScriptedDocker(
        {
            "run": [(0, "c1\n", "")],
            "exec": [(1, "", "no answer from http://127.0.0.1:18080/: refused")],
            "inspect": [(0, "true 0\n", "")],
        }
    )
    monkeypatch.setattr(cmd, "capture", fake.capture)

    result = verify_image(
        ENGINE, "shop:x", target="production", project=greeter, spec=worker_spec("wsgi")
    )

    assert result.checks[1].name == "serve"
    assert result.checks[1].passed is False


def test_the_settings_reach_the_import_and_command_containers_too(
    greeter: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker()
    monkeypatch.setattr(cmd, "capture", fake.capture)

    verify_image(
        ENGINE, "greeter:x", target="production", project=greeter,
        spec=detect(greeter, Options()), env={"API_KEY": "k"},
    )  # fmt: skip

    assert all(settings == ["API_KEY=k"] for settings in fake.settings)
    assert not any("API_KEY=k" in call for call in fake.calls)


def test_an_env_file_is_key_value_lines_with_comments_and_no_evaluation() -> None:
    text = (
        "# settings for verify\n\nDJANGO_SECRET_KEY=abc=def\n  DEBUG = 0\n"
        "QUOTED=\"two words\"\nSINGLE='$HOME'\nEMPTY=\nSHELL_TEXT=$(rm -rf /) `x` $HOME\n"
    )

    assert verify.parse_env_lines(text, ".env") == {
        "DJANGO_SECRET_KEY": "abc=def",
        "DEBUG": "0",
        "QUOTED": "two words",
        "SINGLE": "$HOME",
        "EMPTY": "",
        "SHELL_TEXT": "$(rm -rf /) `x` $HOME",
    }


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("JUST_A_NAME", "no '='"),
        ("=value", "the name '' is no variable name"),
        ("export A=1", "the name 'export A' is no variable name"),
        ("1A=2", "the name '1A' is no variable name"),
    ],
)
def test_an_env_file_line_that_is_not_key_value_is_an_error_naming_the_line_not_its_value(
    line: str, what: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        verify.parse_env_lines(f"# ok\n{line}\n", "prod.env")

    assert str(raised.value) == (
        f"prod.env line 2 is not KEY=VALUE: {what} (the value is not shown). Write each "
        "setting as NAME=value (a `#` starts a comment line)."
    )


def test_an_env_file_that_cannot_be_read_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        verify.read_env_file(tmp_path / "missing.env")


def test_an_env_file_is_read_from_disk(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\n", encoding="utf-8")

    assert verify.read_env_file(tmp_path / ".env") == {"A": "1"}


def test_verify_passes_the_settings_to_both_targets_and_says_when_the_app_exited_at_start(
    greeter: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    the_plan = pipeline.make_plan(greeter.root, env={}, cli={})
    the_plan = dataclasses.replace(the_plan, spec=worker_spec())
    monkeypatch.setattr(pipeline, "build", lambda plan, engine, request: f"x:{request.target}")
    monkeypatch.setattr("quatrain.checking.verify.time.sleep", lambda seconds: None)
    fake = ScriptedDocker({"run": [(0, "c1\n", "")], "inspect": [(0, "false 1\n", "")]})
    monkeypatch.setattr(cmd, "capture", fake.capture)

    with pytest.raises(VerifyError) as raised:
        pipeline.verify(the_plan, ENGINE, tags={}, env={"SECRET": "s"})

    assert str(raised.value) == (
        "The images were built, but these checks failed: production: start, development: "
        "start. The details and the container's log are above. The app exited at start: give "
        "it the settings it needs with --run-env KEY=VALUE or --env-file FILE."
    )
    started = [s for call, s in zip(fake.calls, fake.settings, strict=True) if call[1] == "run"]
    assert len(started) == 5  # import and worker, per target; production's contents
    assert all("SECRET=s" in settings for settings in started)


def test_production_run_as_root_or_with_an_sbom_that_differs_from_what_is_installed_fails(
    greeter: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker(
        contents='{"uid": 0, "missing": [["six", "1.16.0"]], "extra": [["flask", "3.1.3"]], '
        '"count": 4}\n'
    )
    monkeypatch.setattr(cmd, "capture", fake.capture)

    result = verify_image(
        ENGINE, "greeter:x", target="production", project=greeter, spec=detect(greeter, Options())
    )

    assert result.checks[2:] == (
        Check(name="non-root", passed=False, detail="runs as uid 0"),
        Check(
            name="sbom",
            passed=False,
            detail="not in the SBOM: six 1.16.0; in the SBOM, not installed: flask 3.1.3",
        ),
    )
    assert result.passed is False
