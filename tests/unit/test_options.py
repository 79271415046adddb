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
        "base_image": None,
        "runtime_image": None,
        "poetry_version": None,
        "poetry_plugin_export_version": "1.10.1",
        "uv_version": "0.13.9",
        "serve": "auto",
        "app": None,
        "command": None,
        "ca_bundle": None,
        "keep_ca_bundle": False,
        "private_sources": [],
        "extras": [],
        "groups": [],
        "test_command": None,
        "lint_command": None,
        "gate": False,
        "port": 8888,
        "workers": 2,
        "threads": 4,
        "access_log": False,
        "image_name": None,
        "user": "app",
        "uid": 10001,
        "env": {},
        "labels": {},
        "apt_packages": [],
        "build_apt_packages": [],
        "build_args": {},
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
        pyproject={
            "port": 9000,
            "workers": 3,
            "threads": 5,
            "debian-release": "bookworm",
            "apt-packages": ["libpq5"],
            "build-apt-packages": ["libpq-dev"],
            "env": {"MODE": "toml"},
            "labels": {"team": "web"},
            "command": ["gunicorn", "shop:app"],
        },
        env={
            "QUATRAIN_WORKERS": "5",
            "QUATRAIN_THREADS": "6",
            "QUATRAIN_NETWORK": "host",
            "QUATRAIN_DEBIAN_RELEASE": "trixie",
            "QUATRAIN_APT_PACKAGES": "libpq5 curl",
            "QUATRAIN_ENV": "MODE=env",
            "QUATRAIN_BUILD_ARGS": "PIP_INDEX_URL=https://pypi.example.org/simple",
            "PATH": "/usr/bin",
        },
        cli={
            "threads": 8,
            "app": "shop:create_app()",
            "debian_release": "bookworm",
            "uid": None,
            "env": "MODE=flag DEBUG=0",
            "extras": None,
        },
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
        ("extras", [], "default"),  # a list left off the command line
        ("labels", {"team": "web"}, "pyproject"),  # a dict only in [tool.quatrain]
        ("build_apt_packages", ["libpq-dev"], "pyproject"),
        ("command", ["gunicorn", "shop:app"], "pyproject"),
        ("apt_packages", ["libpq5", "curl"], "env"),  # a list: the env's replaces the TOML's
        ("build_args", {"PIP_INDEX_URL": "https://pypi.example.org/simple"}, "env"),
        ("env", {"MODE": "flag", "DEBUG": "0"}, "flag"),  # a dict: replaced, never merged
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


# --- lists and tables -----------------------------------------------------------------------


def test_a_toml_array_is_a_list_and_a_toml_table_a_dict_of_strings() -> None:
    options = resolve(
        pyproject={
            "apt-packages": ["libpq5", "curl"],
            "command": ["gunicorn", "--bind=0.0.0.0:8000", "shop:app"],
            "env": {"WORKERS": 4, "DEBUG": True, "NAME": "shop"},
            "labels": {"org.example.team": "web"},
        },
        env={},
        cli={},
    ).options

    assert options.apt_packages == ["libpq5", "curl"]
    assert options.command == ["gunicorn", "--bind=0.0.0.0:8000", "shop:app"]
    # TOML's true is the shell's "true", not Python's "True".
    assert options.env == {"WORKERS": "4", "DEBUG": "true", "NAME": "shop"}
    assert options.labels == {"org.example.team": "web"}


def test_a_list_in_a_variable_or_a_flag_is_split_like_a_shell_line() -> None:
    options = resolve(
        pyproject={},
        env={"QUATRAIN_APT_PACKAGES": "libpq5  'fonts-dejavu core'\tcurl"},
        cli={"command": 'gunicorn --bind "0.0.0.0:$PORT" shop:app', "extras": ""},
    ).options

    assert options.apt_packages == ["libpq5", "fonts-dejavu core", "curl"]
    assert options.command == ["gunicorn", "--bind", "0.0.0.0:$PORT", "shop:app"]
    assert options.extras == []


def test_a_dict_in_a_variable_or_a_flag_is_key_value_words() -> None:
    options = resolve(
        pyproject={},
        env={"QUATRAIN_ENV": "A=1 B='two words' EMPTY= URL=https://x.org/?a=b"},
        cli={"labels": "team=web"},
    ).options

    assert options.env == {"A": "1", "B": "two words", "EMPTY": "", "URL": "https://x.org/?a=b"}
    assert options.labels == {"team": "web"}


def test_a_sequence_from_a_caller_is_a_list() -> None:
    assert resolve(pyproject={}, env={}, cli={"groups": ("docs", "ops")}).options.groups == [
        "docs",
        "ops",
    ]


@pytest.mark.parametrize(
    ("layers", "value"),
    [
        ({"pyproject": {"gate": True}}, True),
        ({"env": {"QUATRAIN_GATE": "yes"}}, True),
        ({"env": {"QUATRAIN_GATE": " Off "}}, False),
        ({"cli": {"gate": False}}, False),
    ],
)
def test_gate_is_a_boolean_from_every_layer(layers: dict[str, dict[str, Any]], value: bool) -> None:
    options = resolve(
        pyproject=layers.get("pyproject", {}), env=layers.get("env", {}), cli=layers.get("cli", {})
    ).options

    assert options.gate is value


def test_serve_takes_the_name_of_a_detector() -> None:
    assert resolve(pyproject={"serve": "django"}, env={}, cli={}).options.serve == "django"


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            {"pyproject": {"apt-packages": ["libpq5", 5]}},
            "[tool.quatrain]: ['libpq5', 5] is not a valid apt-packages "
            "(expected a list of strings).",
        ),
        (
            {"pyproject": {"command": 5}},
            "[tool.quatrain]: 5 is not a valid command (expected a list of strings).",
        ),
        (
            {"pyproject": {"env": {"A": {"B": "C"}}}},
            "[tool.quatrain]: {'A': {'B': 'C'}} is not a valid env "
            "(expected a table of KEY=VALUE).",
        ),
        (
            {"pyproject": {"labels": ["team=web"]}},
            "[tool.quatrain]: ['team=web'] is not a valid labels (expected a table of KEY=VALUE).",
        ),
        (
            {"env": {"QUATRAIN_BUILD_ARGS": "PIP_INDEX_URL"}},
            "QUATRAIN_BUILD_ARGS: 'PIP_INDEX_URL' is not a valid build-args "
            "(expected a table of KEY=VALUE).",
        ),
        (
            {"cli": {"env": "=value"}},
            "--env: '=value' is not a valid env (expected a table of KEY=VALUE).",
        ),
        (
            {"pyproject": {"serve": "heroku"}},
            "[tool.quatrain]: 'heroku' is not a valid serve "
            "(expected 'auto' | 'flask' | 'asgi' | 'django' | 'console-script').",
        ),
        (
            {"env": {"QUATRAIN_GATE": "maybe"}},
            "QUATRAIN_GATE: 'maybe' is not a valid gate (expected true or false).",
        ),
        (
            {"pyproject": {"user": ""}},
            "[tool.quatrain]: '' is not a valid user (expected a non-empty string).",
        ),
    ],
    ids=[
        "toml-list-of-int",
        "toml-list-not-array",
        "toml-nested-table",
        "toml-dict-as-array",
        "env-dict-without-equals",
        "flag-dict-without-key",
        "toml-serve",
        "env-bool",
        "toml-user",
    ],
)
def test_a_bad_list_or_table_is_a_configuration_error_that_names_its_source(
    layers: dict[str, dict[str, Any]], message: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(
            pyproject=layers.get("pyproject", {}),
            env=layers.get("env", {}),
            cli=layers.get("cli", {}),
        )

    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            {"env": {"QUATRAIN_APT_PACKAGES": "libpq5 'curl"}},
            'QUATRAIN_APT_PACKAGES: "libpq5 \'curl" is not a valid apt-packages '
            "(expected a list of strings).",
        ),
        (
            {"cli": {"env": 'GREETING="hello'}},
            "--env: 'GREETING=\"hello' is not a valid env (expected a table of KEY=VALUE).",
        ),
    ],
    ids=["env-list", "flag-dict"],
)
def test_an_unbalanced_quote_is_a_configuration_error_that_names_its_source(
    layers: dict[str, dict[str, Any]], message: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={}, env=layers.get("env", {}), cli=layers.get("cli", {}))

    assert str(raised.value) == message
