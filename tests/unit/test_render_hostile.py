"""Hostile values in every option and metadata field that reaches the templates: each render
is refused with a ConfigurationError, or parses (BuildKit's own parser) to the same
instructions as the clean render, with the value read back as given where it appears."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from quatrain.choosing.images import BaseImages, LockNeeds
from quatrain.detectors.detect import detect
from quatrain.dockerfile.render import DOCKERFILE, render
from quatrain.errors import ConfigurationError
from quatrain.pipeline import layout_of, make_plan
from quatrain.reading.project import load_project
from quatrain.settings.options import Options
from unit.conftest import flask_project, lock_text, locked, write_tree
from unit.test_quoting import Command, Expanded, buildkit_word, parse

HOSTILE = {
    "newline": "a\nRUN id",
    "quote": 'a"b',
    "dollar": "$HOME",
    "semicolon": "a;id",
    "backtick": "a`id`",
    "and": "a && id",
    "heredoc": "<<EOF\nid\nEOF",
    "continuation": "a\\",
}

# Every option that reaches the Dockerfile, with a clean value, so that the clean render has
# every instruction a hostile one could add to or take from.
CLEAN: dict[str, Any] = {
    "env": {"MODE": "prod"},
    "labels": {"com.example.team": "web"},
    "user": "web",
    "uid": 4242,
    "port": 5000,
    "apt-packages": ["libpq5"],
    "build-apt-packages": ["libpq-dev"],
    "extras": ["pg"],
    "groups": ["ops"],
    "test-command": ["pytest", "-x"],
    "lint-command": ["ruff", "check", "."],
    "base-image": "python:3.12-slim",
    "runtime-image": "python:3.12-slim",
    "poetry-version": "2.1.0",
    "poetry-plugin-export-version": "1.9.0",
    "uv-version": "0.5.0",
    "python-version": "3.12",
    "command": ["gunicorn", "shop:create_app()"],
    "syntax": "docker/dockerfile:1",
}
METADATA = {"name": "shop", "description": "A shop"}

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"
LOCK = lock_text(
    locked("flask", "3.1.3"),
    locked("gunicorn", "23.0.0"),
    locked("psycopg", "3.2.0", groups=["main"]),
    locked("pytest", "8.3.0", groups=["ops"]),
)


def toml(value: Any) -> str:
    """A TOML value: JSON's strings are TOML basic strings."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return json.dumps(value)


def project(root: Path, options: Mapping[str, Any], metadata: Mapping[str, str]) -> Path:
    tool = "".join(f"{key} = {toml(value)}\n" for key, value in options.items())
    pyproject = (
        f'[project]\nname = {toml(metadata["name"])}\nversion = "1.2.3"\n'
        f'description = {toml(metadata["description"])}\nrequires-python = ">=3.11"\n'
        'dependencies = ["flask>=3.1", "gunicorn>=23"]\n\n'
        '[project.optional-dependencies]\npg = ["psycopg>=3"]\n\n'
        # The package named, so that the project's name does not decide what is built.
        '[tool.poetry]\npackages = [{include = "shop"}]\n\n'
        '[tool.poetry.group.ops.dependencies]\npytest = ">=8"\n\n'
        f'[tool.quatrain]\napp = "shop:create_app()"\n{tool}'
    )
    return flask_project(root, {"shop/__init__.py": FACTORY}, pyproject=pyproject, lock=LOCK)


def dockerfile(root: Path, options: Mapping[str, Any], metadata: Mapping[str, str]) -> str:
    return make_plan(project(root, options, metadata), env={}, cli={}).files[DOCKERFILE]


# --- Where each value appears, read back as BuildKit reads it ------------------------------


def pairs(commands: list[Command], cmd: str) -> list[tuple[str, str]]:
    """The key=value pairs of every ENV or LABEL, unquoted; quatrain's own expansions
    (`PATH=/opt/venv/bin:$PATH`, `$REVISION`) left out."""
    words = [c.value for c in commands if c.cmd == cmd]
    found = []
    for key, value in ((v[i], v[i + 1]) for v in words for i in range(0, len(v), 2)):
        try:
            found.append((buildkit_word(key), buildkit_word(value)))
        except Expanded:
            assert value in ("/opt/venv/bin:$PATH", "$REVISION"), value
    return found


def run_words(commands: list[Command], containing: str) -> list[str]:
    """The shell words of the RUN lines that mention `containing`."""
    lines = [c.value[0] for c in commands if c.cmd == "RUN" and containing in c.value[0]]
    assert lines, containing
    return [word for line in lines for word in shlex.split(line)]


def arg(commands: list[Command], name: str) -> str:
    (word,) = next(c.value for c in commands if c.cmd == "ARG" and c.value[0].startswith(name))
    return buildkit_word(word.partition("=")[2])


def froms(commands: list[Command]) -> list[str]:
    return [c.value[0] for c in commands if c.cmd == "FROM"]


Check = Callable[[list[Command], str, str], bool]
TITLE, DESCRIPTION = "org.opencontainers.image.title", "org.opencontainers.image.description"

# option -> (how a hostile value is put in, where it must then read back as given)
CASES: dict[str, tuple[Callable[[str], dict[str, Any]], Check]] = {
    "env key": (lambda h: {"env": {h: "prod"}}, lambda c, t, h: (h, "prod") in pairs(c, "ENV")),
    "env value": (lambda h: {"env": {"MODE": h}}, lambda c, t, h: ("MODE", h) in pairs(c, "ENV")),
    "label key": (
        lambda h: {"labels": {h: "web"}},
        lambda c, t, h: (h, "web") in pairs(c, "LABEL"),
    ),
    "label value": (
        lambda h: {"labels": {"com.example.team": h}},
        lambda c, t, h: ("com.example.team", h) in pairs(c, "LABEL"),
    ),
    "user": (lambda h: {"user": h}, lambda c, t, h: h in run_words(c, "useradd")),
    "uid": (lambda h: {"uid": h}, lambda c, t, h: (f"{h}:{h}",) in [x.value for x in c]),
    "port": (lambda h: {"port": h}, lambda c, t, h: (h,) in [x.value for x in c]),
    "apt-packages": (
        lambda h: {"apt-packages": [h]},
        lambda c, t, h: h in run_words(c, "apt-get"),
    ),
    "build-apt-packages": (
        lambda h: {"build-apt-packages": [h]},
        lambda c, t, h: h in run_words(c, "apt-get"),
    ),
    "extras": (lambda h: {"extras": [h]}, lambda c, t, h: h in run_words(c, "--extras")),
    "groups": (lambda h: {"groups": [h]}, lambda c, t, h: h in run_words(c, "--with")),
    "test-command": (
        lambda h: {"test-command": ["pytest", h]},
        lambda c, t, h: ["pytest", h] == run_words(c, "test passed")[:2],
    ),
    "lint-command": (
        lambda h: {"lint-command": ["ruff", h]},
        lambda c, t, h: ["ruff", h] == run_words(c, "lint passed")[:2],
    ),
    "base-image": (lambda h: {"base-image": h}, lambda c, t, h: froms(c)[0] == h),
    "runtime-image": (lambda h: {"runtime-image": h}, lambda c, t, h: froms(c)[-1] == h),
    "poetry-version": (
        lambda h: {"poetry-version": h},
        lambda c, t, h: arg(c, "POETRY_VERSION=") == h,
    ),
    "poetry-plugin-export-version": (
        lambda h: {"poetry-plugin-export-version": h},
        lambda c, t, h: arg(c, "POETRY_PLUGIN_EXPORT_VERSION=") == h,
    ),
    "uv-version": (lambda h: {"uv-version": h}, lambda c, t, h: arg(c, "UV_VERSION=") == h),
    "python-version": (
        lambda h: {"python-version": h},
        lambda c, t, h: arg(c, "PYTHON_VERSION=") == h,
    ),
    "command": (
        lambda h: {"command": ["gunicorn", h]},
        lambda c, t, h: [x.value for x in c if x.cmd == "CMD"][-1] == ("gunicorn", h),
    ),
    "syntax": (lambda h: {"syntax": h}, lambda c, t, h: t.startswith(f"# syntax={h}\n")),
    "name": (lambda h: {"name": h}, lambda c, t, h: (TITLE, h) in pairs(c, "LABEL")),
    "description": (
        lambda h: {"description": h},
        # A description is shown on one line, its whitespace collapsed (see render.labels).
        lambda c, t, h: (DESCRIPTION, " ".join(h.split())) in pairs(c, "LABEL") or not h.split(),
    ),
}


@pytest.fixture(scope="module")
def clean_commands(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    text = dockerfile(tmp_path_factory.mktemp("clean"), CLEAN, METADATA)
    return [c.cmd for c in parse(text)]


def test_the_clean_render_has_every_context_the_hostile_values_reach(
    clean_commands: list[str],
) -> None:
    assert clean_commands.count("FROM") == 6  # staging, development, test, lint, build, prod
    assert {"ARG", "ENV", "LABEL", "COPY", "RUN", "USER", "EXPOSE", "CMD"} <= set(clean_commands)


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_value_is_refused_or_read_back_as_given_without_a_new_instruction(
    tmp_path: Path, clean_commands: list[str], case: str, hostile: str
) -> None:
    value = HOSTILE[hostile]
    place, appears = CASES[case]
    placed = place(value)
    options = {**CLEAN, **{k: v for k, v in placed.items() if k not in METADATA}}
    metadata = {**METADATA, **{k: v for k, v in placed.items() if k in METADATA}}
    try:
        text = dockerfile(tmp_path, options, metadata)
    except ConfigurationError:
        return  # refused, with its own exit code: what no escaping can make safe
    commands = parse(text)
    assert [c.cmd for c in commands] == clean_commands
    assert appears(commands, text, value)


def test_a_refusal_while_rendering_names_the_field_and_the_value(tmp_path: Path) -> None:
    # The schema checks the options; the project's metadata is checked where it is written.
    refusal = "label org.opencontainers.image.title 'two\\nlines'"
    with pytest.raises(ConfigurationError, match=re.escape(refusal)):
        dockerfile(tmp_path, CLEAN, {**METADATA, "name": "two\nlines"})


def test_a_multi_line_description_is_labelled_on_one_line(tmp_path: Path) -> None:
    text = dockerfile(tmp_path, CLEAN, {**METADATA, "description": "A shop,\n  for  you"})

    assert (DESCRIPTION, "A shop, for you") in pairs(parse(text), "LABEL")


# --- The templates alone, the schema bypassed: Options is a plain dataclass ---------------

BYPASS: dict[str, Callable[[str], dict[str, Any]]] = {
    "env key": lambda h: {"env": {h: "prod"}},
    "env value": lambda h: {"env": {"MODE": h}},
    "label key": lambda h: {"labels": {h: "web"}},
    "label value": lambda h: {"labels": {"com.example.team": h}},
    "user": lambda h: {"user": h},
    "apt-packages": lambda h: {"apt_packages": (h,)},
    "build-apt-packages": lambda h: {"build_apt_packages": (h,)},
    "extras": lambda h: {"extras": (h,)},
    "groups": lambda h: {"groups": (h,)},
    "test-command": lambda h: {"test_command": ("pytest", h)},
    "lint-command": lambda h: {"lint_command": ("ruff", h)},
    "command": lambda h: {"command": ("gunicorn", h)},
    "base-image": lambda h: {"base_image": h},
    "runtime-image": lambda h: {"runtime_image": h},
    "poetry-plugin-export-version": lambda h: {"poetry_plugin_export_version": h},
    "uv-version": lambda h: {"uv_version": h},
    "syntax": lambda h: {"syntax": h},
}
NUMBERS: dict[str, Callable[[int], dict[str, Any]]] = {
    "uid": lambda n: {"uid": n},
    "port": lambda n: {"port": n},
}


def render_bypassing_the_schema(
    root: Path, spec_fields: Mapping[str, Any] | None = None, **fields: Any
) -> str:
    """The clean project rendered with these Options fields and, where given, these fields
    of the detected ServeSpec (which come from the project's own files)."""
    loaded = load_project(project(root, {}, METADATA))
    spec = dataclasses.replace(detect(loaded, Options()), **(spec_fields or {}))
    options = Options(**{**BYPASS_CLEAN, **fields})
    images = BaseImages(
        python_version="3.12",
        debian_release="trixie",
        build_flavor="slim",
        build_override=options.base_image,
        runtime_override=options.runtime_image,
    )
    return render(loaded, spec, options, images=images)[DOCKERFILE]


BYPASS_CLEAN: dict[str, Any] = {
    "env": {"MODE": "prod"},
    "labels": {"com.example.team": "web"},
    "apt_packages": ("libpq5",),
    "build_apt_packages": ("libpq-dev",),
    "extras": ("pg",),
    "groups": ("ops",),
    "test_command": ("pytest", "-x"),
    "lint_command": ("ruff", "check", "."),
    "base_image": "python:3.12-slim",
    "runtime_image": "python:3.12-slim",
    "poetry_plugin_export_version": "1.9.0",
    "syntax": "docker/dockerfile:1",
}


@pytest.fixture(scope="module")
def bypass_commands(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return [c.cmd for c in parse(render_bypassing_the_schema(tmp_path_factory.mktemp("clean")))]


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
@pytest.mark.parametrize("field", sorted(BYPASS))
def test_the_templates_alone_refuse_or_keep_a_hostile_value_the_schema_would_refuse(
    tmp_path: Path, bypass_commands: list[str], field: str, hostile: str
) -> None:
    value = HOSTILE[hostile]
    try:
        text = render_bypassing_the_schema(tmp_path, **BYPASS[field](value))
    except ConfigurationError:
        return
    commands = parse(text)
    assert [c.cmd for c in commands] == bypass_commands
    assert CASES[field][1](commands, text, value)


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_where_the_app_was_found_is_a_comment_whatever_the_project_names_hold(
    tmp_path: Path, bypass_commands: list[str], hostile: str
) -> None:
    """The line above CMD names the app and where it was found, from the project's own files
    (paths, names), which no schema checks."""
    value = HOSTILE[hostile]

    text = render_bypassing_the_schema(tmp_path, {"app": value, "found_in": value})

    assert [c.cmd for c in parse(text)] == bypass_commands
    (line,) = [line for line in text.splitlines() if line.startswith("# The app: ")]
    assert line.endswith(").")


@pytest.mark.parametrize("number", [0, -1, 2**31, 65536, True])
@pytest.mark.parametrize("field", sorted(NUMBERS))
def test_the_templates_alone_refuse_a_uid_or_port_out_of_range(
    tmp_path: Path, field: str, number: int
) -> None:
    if field == "uid" and number == 65536:
        return  # a fine uid
    with pytest.raises(ConfigurationError, match=f"the {field} {number!r}"):
        render_bypassing_the_schema(tmp_path, **NUMBERS[field](number))


def test_a_path_dependency_that_copy_would_read_as_a_glob_is_refused_in_the_layout(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path / "libs/g[1]", {"pyproject.toml": '[project]\nname = "g"\n'})
    path = (
        locked("g", "0.1.0") + '\n[package.source]\ntype = "directory"\nurl = "../../libs/g[1]"\n'
    )
    root = flask_project(tmp_path / "apps/web", {"shop/__init__.py": FACTORY}, lock=LOCK + path)

    with pytest.raises(ConfigurationError, match=r"a path dependency 'libs/g\[1\]' holds a glob"):
        layout_of(load_project(root))


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_a_locked_name_without_hashes_stays_in_its_comment(tmp_path: Path, hostile: str) -> None:
    """The names of packages the lock records no hashes of reach a comment above the install,
    from poetry.lock, which no schema checks."""
    loaded = load_project(project(tmp_path, {}, METADATA))
    spec = detect(loaded, Options())
    images = BaseImages(python_version="3.12", debian_release="trixie", build_flavor="slim")

    def rendered(names: tuple[str, ...]) -> str:
        needs = LockNeeds(unhashed=names)
        return render(loaded, spec, Options(), images=images, needs=needs)[DOCKERFILE]

    text = rendered((HOSTILE[hostile], "asgiref"))

    assert [c.cmd for c in parse(text)] == [c.cmd for c in parse(rendered(("asgiref",)))]
    (line,) = [line for line in text.splitlines() if line.startswith("# poetry.lock records no")]
    assert line.endswith(", asgiref:")


@pytest.mark.parametrize(
    ("cli", "instruction"),
    [
        ({"env": {"BLOB": "x" * 70_000}}, "ENV"),
        ({"labels": {"org.example.blob": "x" * 70_000}}, "LABEL"),
        ({"command": ["gunicorn", "x" * 70_000]}, "CMD"),
    ],
    ids=["env", "labels", "command"],
)
def test_a_value_that_would_make_a_line_buildkit_cannot_read_is_refused_at_render(
    tmp_path: Path, cli: dict[str, Any], instruction: str
) -> None:
    root = flask_project(
        tmp_path, {"shop/__init__.py": "from flask import Flask\napp = Flask('x')\n"}
    )

    with pytest.raises(ConfigurationError) as raised:
        make_plan(root, env={}, cli=cli)

    assert str(raised.value).startswith("The Dockerfile would have a line of 70,")
    assert f"in its {instruction} instruction" in str(raised.value)


def test_a_long_description_is_refused_by_the_same_line_limit(tmp_path: Path) -> None:
    root = flask_project(
        tmp_path, {"shop/__init__.py": "from flask import Flask\napp = Flask('x')\n"}
    )
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'version = "', f'description = "{"d" * 70_000}"\nversion = "', 1
        )
    )

    # it reaches the SBOM the production stage writes (RUN) before the LABEL
    with pytest.raises(ConfigurationError, match=r"would have a line of 70,[0-9]{3} bytes in its"):
        make_plan(root, env={}, cli={})
