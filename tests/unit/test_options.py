from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from quatrain.errors import ConfigurationError
from quatrain.options import FIELDS, Options, ResolvedOptions, Source, option_key, resolve


def test_no_layer_gives_the_defaults_of_options() -> None:
    resolved = resolve(pyproject={}, env={}, cli={})

    assert dataclasses.asdict(resolved.options) == {
        "python_version": None,
        "debian_release": "trixie",
        "build_flavor": "auto",
        "poetry_version": None,
        "poetry_plugin_export_version": "1.10.1",
        "app": None,
        "port": 8888,
        "workers": 2,
        "threads": 4,
        "image_name": None,
        "uid": 10001,
        "docker": "docker",
        "network": None,
        "syntax": None,
    }
    assert set(resolved.sources.values()) == {"default"}
    assert list(resolved.sources) == list(FIELDS)


def test_every_option_has_help_text_and_a_dashed_key() -> None:
    assert option_key("poetry_plugin_export_version") == "poetry-plugin-export-version"
    assert [name for name, f in FIELDS.items() if not f.metadata.get("help")] == []


@pytest.fixture
def layered() -> ResolvedOptions:
    """Each option set in a different set of layers, to check that the strongest one wins."""
    return resolve(
        pyproject={"port": 9000, "workers": 3, "threads": 5, "debian-release": "bookworm"},
        env={
            "QUATRAIN_WORKERS": "5",
            "QUATRAIN_THREADS": "6",
            "QUATRAIN_NETWORK": "host",
            "QUATRAIN_DEBIAN_RELEASE": "trixie",
            "PATH": "/usr/bin",
        },
        cli={"threads": 8, "app": "shop:create_app()", "debian_release": "bookworm", "uid": None},
    )


@pytest.mark.parametrize(
    ("name", "value", "source"),
    [
        ("python_version", None, "default"),
        ("uid", 10001, "default"),  # a None on the command line is "not given"
        ("port", 9000, "pyproject"),
        ("workers", 5, "env"),
        ("network", "host", "env"),
        ("threads", 8, "flag"),
        ("app", "shop:create_app()", "flag"),
        ("debian_release", "bookworm", "flag"),
    ],
)
def test_a_stronger_layer_wins_default_then_pyproject_then_env_then_flag(
    layered: ResolvedOptions, name: str, value: Any, source: Source
) -> None:
    assert getattr(layered.options, name) == value
    assert layered.sources[name] == source


def test_an_unknown_pyproject_key_is_a_configuration_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={"pyhton-version": "3.12"}, env={}, cli={})

    assert str(raised.value) == (
        "Option 'pyhton-version' is not supported in [tool.quatrain]. "
        "Perhaps you meant 'python-version'?"
    )


def test_an_unknown_pyproject_key_with_nothing_close_gets_no_suggestion() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={"colour": "blue"}, env={}, cli={})

    assert str(raised.value) == "Option 'colour' is not supported in [tool.quatrain]."


def test_a_field_name_is_not_a_pyproject_key() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={"build_flavor": "slim"}, env={}, cli={})

    assert str(raised.value) == (
        "Option 'build_flavor' is not supported in [tool.quatrain]. "
        "Perhaps you meant 'build-flavor'?"
    )


def test_an_unknown_quatrain_variable_is_a_configuration_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={}, env={"QUATRAIN_PROT": "8080"}, cli={})

    assert str(raised.value) == (
        "Environment variable QUATRAIN_PROT is not a quatrain option. "
        "Perhaps you meant 'QUATRAIN_PORT'?"
    )


def test_the_debug_variables_and_other_variables_are_not_options() -> None:
    resolved = resolve(
        pyproject={},
        env={
            "QUATRAIN_DEBUG_TRACEBACK": "1",
            "QUATRAIN_DEBUG_KEEP_CONTAINER": "1",
            "QUATRAINPORT": "1",
            "quatrain_port": "1",
            "HOME": "/root",
        },
        cli={},
    )

    assert resolved.options == Options()
    assert set(resolved.sources.values()) == {"default"}


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            {"env": {"QUATRAIN_PORT": "abc"}},
            "QUATRAIN_PORT: 'abc' is not a valid port (expected a whole number).",
        ),
        (
            {"env": {"QUATRAIN_WORKERS": "-2"}},
            "QUATRAIN_WORKERS: '-2' is not a valid workers (expected a whole number).",
        ),
        (
            {"pyproject": {"build-flavor": "huge"}},
            "[tool.quatrain]: 'huge' is not a valid build-flavor "
            "(expected 'auto' | 'slim' | 'full').",
        ),
        (
            {"pyproject": {"port": True}},
            "[tool.quatrain]: True is not a valid port (expected a whole number).",
        ),
        (
            {"pyproject": {"docker": ""}},
            "[tool.quatrain]: '' is not a valid docker (expected a non-empty string).",
        ),
        (
            {"env": {"QUATRAIN_APP": ""}},
            "QUATRAIN_APP: '' is not a valid app (expected a non-empty string).",
        ),
        (
            {"cli": {"syntax": ""}},
            "--syntax: '' is not a valid syntax (expected a non-empty string).",
        ),
        ({"cli": {"uid": "root"}}, "--uid: 'root' is not a valid uid (expected a whole number)."),
    ],
    ids=[
        "env-port",
        "env-negative",
        "toml-flavor",
        "toml-bool",
        "toml-empty",
        "env-empty",
        "flag-empty",
        "flag-int",
    ],
)
def test_a_bad_value_is_a_configuration_error_that_says_where_it_came_from(
    layers: dict[str, dict[str, Any]], message: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(
            pyproject=layers.get("pyproject", {}),
            env=layers.get("env", {}),
            cli=layers.get("cli", {}),
        )

    assert str(raised.value) == message


def test_whole_numbers_from_the_environment_become_ints() -> None:
    resolved = resolve(
        pyproject={"port": "7000"},
        env={"QUATRAIN_PORT": "8080", "QUATRAIN_WORKERS": " 3 ", "QUATRAIN_UID": "0"},
        cli={},
    )

    assert (resolved.options.port, resolved.options.workers, resolved.options.uid) == (8080, 3, 0)
    assert resolved.sources["port"] == "env"


def test_a_string_option_from_the_environment_is_kept_as_is() -> None:
    resolved = resolve(pyproject={}, env={"QUATRAIN_PYTHON_VERSION": "3.12"}, cli={})

    assert resolved.options.python_version == "3.12"
    assert resolved.sources["python_version"] == "env"


def test_a_digit_that_int_cannot_read_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={}, env={"QUATRAIN_PORT": "8²"}, cli={})

    assert str(raised.value) == (
        "QUATRAIN_PORT: '8²' is not a valid port (expected a whole number)."
    )
