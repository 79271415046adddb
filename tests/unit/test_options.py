from __future__ import annotations

import dataclasses
import datetime
import re
import shlex
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from quatrain.errors import ConfigurationError
from quatrain.settings.options import FIELDS, Options, Source, as_plain, option_key, rule
from quatrain.settings.resolution import ResolvedOptions, resolve

LAYERS: list[Source] = ["pyproject", "env", "flag"]


def test_no_layer_gives_the_defaults_of_options() -> None:
    resolved = resolve(pyproject={}, env={}, cli={})

    assert as_plain(resolved.options) == {
        "python_version": None,
        "debian_release": "trixie",
        "build_flavor": "auto",
        "base_image": None,
        "runtime_image": None,
        "poetry_version": None,
        "poetry_plugin_export_version": None,
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
        "build_env": {},
        "engine": "docker",
        "docker": "docker",
        "network": None,
        "cache_ref": None,
        "builder": None,
        "syntax": None,
        "compose": True,
    }
    assert set(resolved.sources.values()) == {"default"}
    assert list(resolved.sources) == list(FIELDS)


def test_every_option_has_help_text_a_rule_and_a_dashed_key() -> None:
    assert option_key("poetry_plugin_export_version") == "poetry-plugin-export-version"
    assert [name for name, f in FIELDS.items() if not f.metadata.get("help")] == []
    assert [name for name in FIELDS if not rule(name).expected] == []


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
        ("extras", (), "default"),  # a list left off the command line
        ("labels", {"team": "web"}, "pyproject"),  # a table only in [tool.quatrain]
        ("build_apt_packages", ("libpq-dev",), "pyproject"),
        ("command", ("gunicorn", "shop:app"), "pyproject"),
        ("apt_packages", ("libpq5", "curl"), "env"),  # a list: the env's replaces the TOML's
        ("build_args", {"PIP_INDEX_URL": "https://pypi.example.org/simple"}, "env"),
        ("env", {"MODE": "flag", "DEBUG": "0"}, "flag"),  # a table: replaced, never merged
    ],
)
def test_a_stronger_layer_wins_default_then_pyproject_then_env_then_flag(
    layered: ResolvedOptions, name: str, value: Any, source: Source
) -> None:
    assert getattr(layered.options, name) == value
    assert layered.sources[name] == source


# --- unknown keys -----------------------------------------------------------------------------


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


# --- docker: the machine's program, never the repository's ------------------------------------


def test_docker_in_pyproject_is_refused_because_the_repository_must_not_choose_the_program() -> (
    None
):
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={"docker": "./evil.sh"}, env={}, cli={})

    assert str(raised.value) == (
        "[tool.quatrain] docker: not read from pyproject.toml, since a repository must not "
        "choose what runs on your machine. Set QUATRAIN_DOCKER or pass --docker."
    )


def test_docker_comes_from_the_environment_or_the_flag() -> None:
    from_env = resolve(pyproject={}, env={"QUATRAIN_DOCKER": "/usr/bin/podman"}, cli={})
    from_flag = resolve(pyproject={}, env={"QUATRAIN_DOCKER": "podman"}, cli={"docker": "nerdctl"})

    assert (from_env.options.docker, from_env.sources["docker"]) == ("/usr/bin/podman", "env")
    assert (from_flag.options.docker, from_flag.sources["docker"]) == ("nerdctl", "flag")


def test_a_misspelt_pyproject_key_is_never_told_to_use_docker() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={"dockr": "podman"}, env={}, cli={})

    assert str(raised.value) == "Option 'dockr' is not supported in [tool.quatrain]."


# --- one rule per option, the same in every layer ---------------------------------------------


def as_text(value: Any) -> str:
    """A TOML value written as a QUATRAIN_* variable or a flag would carry it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return shlex.join(value)
    if isinstance(value, dict):
        return " ".join(shlex.quote(f"{key}={item}") for key, item in value.items())
    return str(value)


def in_layer(name: str, value: Any, layer: Source) -> dict[str, Any]:
    """resolve()'s keyword arguments with the option set in one layer, as that layer has it."""
    layers: dict[str, Any] = {"pyproject": {}, "env": {}, "cli": {}}
    if layer == "pyproject":
        layers["pyproject"] = {option_key(name): value}
    elif layer == "env":
        layers["env"] = {f"QUATRAIN_{name.upper()}": as_text(value)}
    else:
        layers["cli"] = {name: as_text(value)}  # click hands every flag over as a string
    return layers


def shown(name: str, value: Any, layer: Source) -> str:
    return f"[tool.quatrain] {option_key(name)}" if layer == "pyproject" else (
        f"QUATRAIN_{name.upper()}" if layer == "env" else f"--{option_key(name)}"
    )  # fmt: skip


def refusal(name: str, value: Any, layer: Source) -> str:
    """The message family: where, the value as written (maybe the part at fault), the rule."""
    raw = value if layer == "pyproject" else as_text(value)
    return (
        rf"{re.escape(shown(name, value, layer))}: (.+ in )?{re.escape(repr(raw))} "
        rf"is not a valid {option_key(name)} \(expected {re.escape(rule(name).expected)}\)\."
    )


# One accepted and one refused value per constraint, written as in pyproject.toml.
RULES = [
    ("port", 1, 0),
    ("port", 65535, 65536),
    ("port", 8080, -1),
    ("uid", 1, 0),
    ("uid", 2147483647, 2147483648),
    ("workers", 1, 0),
    ("workers", 4, -1),
    ("threads", 1, 0),
    ("python_version", "3.12", "3.12.1"),
    ("python_version", "3.9", "2.7"),
    ("debian_release", "bookworm", "bullseye"),
    ("build_flavor", "full", "huge"),
    ("serve", "django", "heroku"),
    ("poetry_version", "2.1.3", "2.x"),
    ("poetry_version", "2.2.0rc1", "latest"),
    ("poetry_plugin_export_version", "1.10.1", "v1.10.1"),
    ("uv_version", "0.13.9.post1", "0.13.9;true"),
    ("base_image", "registry.example.org:5000/team/python:3.12-slim", "python:3.12 slim"),
    ("runtime_image", "python@sha256:" + "a" * 64, "Python:3.12"),
    ("syntax", "docker/dockerfile:1", "docker/dockerfile:$V"),
    ("image_name", "registry.example.org/team/shop", "shop:latest"),
    ("app", "shop:create_app('prod')", ":app"),
    ("command", ["gunicorn", "shop:app"], []),
    ("test_command", [], ["pytest", "-x\n"]),
    ("lint_command", ["ruff", "check", "."], ["ruff", "\x00"]),
    ("ca_bundle", "/etc/ssl/corporate proxy.pem", ""),
    ("keep_ca_bundle", True, "maybe"),
    ("gate", False, "sometimes"),
    ("access_log", True, "2"),
    ("compose", False, "no compose"),
    ("private_sources", ["internal"], ["-internal"]),
    ("extras", ["postgres", "Redis_Cache"], ["postgres;rm"]),
    ("groups", ["ops"], ["ops group"]),
    ("user", "web-1", "Web"),
    ("user", "_svc", "a" * 33),
    ("env", {"DJANGO_DEBUG": "0", "_X": "a b"}, {"1BAD": "x"}),
    ("env", {"GREETING": "$HOME is 'home'"}, {"A": "two\nlines"}),
    ("labels", {"org.example.team": "web"}, {'te"am': "web"}),
    ("apt_packages", ["libpq5", "g++"], ["LibPQ"]),
    ("build_apt_packages", ["libpq-dev"], ["libpq-dev;"]),
    ("build_args", {"PIP_INDEX_URL": "https://x.example/simple"}, {"PIP INDEX": "x"}),
    ("network", "host", "host;rm"),
    ("engine", "podman", "/usr/bin/podman"),  # a name from a closed set, never a program path
]
RULE_IDS = [f"{name}-{index}" for index, (name, _, _) in enumerate(RULES)]


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize(("name", "accepted", "refused"), RULES, ids=RULE_IDS)
def test_a_value_the_rule_accepts_is_accepted_in_every_layer(
    name: str, accepted: Any, refused: Any, layer: Source
) -> None:
    resolved = resolve(**in_layer(name, accepted, layer))

    assert as_plain(resolved.options)[name] == accepted
    assert resolved.sources[name] == layer


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize(("name", "accepted", "refused"), RULES, ids=RULE_IDS)
def test_a_value_the_rule_refuses_is_refused_in_every_layer_with_the_same_message(
    name: str, accepted: Any, refused: Any, layer: Source
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(**in_layer(name, refused, layer))

    assert re.fullmatch(refusal(name, refused, layer), str(raised.value)), str(raised.value)


def test_every_option_has_a_constraint_case() -> None:
    machine_only = {"docker", *MACHINE_RULES}
    assert sorted({name for name, _, _ in RULES}) == sorted(set(FIELDS) - machine_only)


# Options of the user's machine or secrets, not the repository's: only the environment and
# flags set them.
MACHINE_RULES = {
    "cache_ref": ("127.0.0.1:5000/team/shop-cache", "127.0.0.1:5000/shop:cache"),
    "builder": ("ci-builder.1", "ci builder"),
    "build_env": ({"SECRET_KEY": "s3cr$t"}, {"SECRET KEY": "x"}),
}


def test_build_env_in_pyproject_is_refused_because_pyproject_is_committed_and_in_the_images() -> (
    None
):
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={"build-env": {"SECRET_KEY": "canary"}}, env={}, cli={})

    assert str(raised.value) == (
        "[tool.quatrain] build-env: not read from pyproject.toml, since pyproject.toml is "
        "committed and copied into both images, where a secret is no secret. Set "
        "QUATRAIN_BUILD_ENV or pass --build-env."
    )
    assert "canary" not in str(raised.value)


@pytest.mark.parametrize("layer", ["env", "flag"])
@pytest.mark.parametrize("name", sorted(MACHINE_RULES))
def test_cache_ref_and_builder_come_from_the_environment_or_a_flag_only(
    name: str, layer: Source
) -> None:
    accepted, refused = MACHINE_RULES[name]

    assert getattr(resolve(**in_layer(name, accepted, layer)).options, name) == accepted
    with pytest.raises(ConfigurationError, match=f"is not a valid {option_key(name)}"):
        resolve(**in_layer(name, refused, layer))
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={option_key(name): accepted}, env={}, cli={})
    assert str(raised.value).startswith(
        f"[tool.quatrain] {option_key(name)}: not read from pyproject.toml"
    )


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            {"pyproject": {"port": 70000}},
            "[tool.quatrain] port: 70000 is not a valid port "
            "(expected a whole number from 1 to 65535).",
        ),
        (
            {"env": {"QUATRAIN_PORT": "70000"}},
            "QUATRAIN_PORT: '70000' is not a valid port (expected a whole number from 1 to 65535).",
        ),
        (
            {"cli": {"port": "70000"}},
            "--port: '70000' is not a valid port (expected a whole number from 1 to 65535).",
        ),
        (
            {"cli": {"port": 70000}},  # a caller's int, as a test or a plugin passes it
            "--port: 70000 is not a valid port (expected a whole number from 1 to 65535).",
        ),
        (
            {"env": {"QUATRAIN_UID": "0"}},
            "QUATRAIN_UID: '0' is not a valid uid (expected a user id from 1 to 2147483647; "
            "0 is root, and the production image never runs as root).",
        ),
        (
            {"pyproject": {"apt-packages": ["libpq5", "Bad Name"]}},
            "[tool.quatrain] apt-packages: 'Bad Name' in ['libpq5', 'Bad Name'] is not a valid "
            "apt-packages (expected a list of Debian package names: lowercase letters, digits, "
            "'+', '.' and '-', starting with a letter or a digit).",
        ),
        (
            {"env": {"QUATRAIN_ENV": "A=1 2B=2"}},
            "QUATRAIN_ENV: '2B' in 'A=1 2B=2' is not a valid env (expected a table of "
            "NAME = value, names of letters, digits and '_' not starting with a digit, "
            "values on one line).",
        ),
        (
            {"pyproject": {"build-flavor": "huge"}},
            "[tool.quatrain] build-flavor: 'huge' is not a valid build-flavor "
            "(expected one of 'auto', 'slim', 'full').",
        ),
        (
            {"env": {"QUATRAIN_GATE": "maybe"}},
            "QUATRAIN_GATE: 'maybe' is not a valid gate (expected true or false).",
        ),
        (
            {"cli": {"uid": "root"}},
            "--uid: 'root' is not a valid uid (expected a user id from 1 to 2147483647; "
            "0 is root, and the production image never runs as root).",
        ),
        (
            {"env": {"QUATRAIN_PORT": "8²"}},  # a digit to str.isdigit(), not to int()
            "QUATRAIN_PORT: '8²' is not a valid port (expected a whole number from 1 to 65535).",
        ),
    ],
    ids=[
        "toml",
        "env",
        "flag",
        "caller-int",
        "root-uid",
        "list-item",
        "table-key",
        "enum",
        "bool",
        "flag-word",
        "superscript",
    ],
)
def test_a_bad_value_is_a_configuration_error_naming_layer_key_value_and_rule(
    layers: dict[str, dict[str, Any]], message: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(
            pyproject=layers.get("pyproject", {}),
            env=layers.get("env", {}),
            cli=layers.get("cli", {}),
        )

    assert str(raised.value) == message


# --- hostile strings ---------------------------------------------------------------------------

HOSTILE = ["\n", "\r", "\x00", "$", ";", "`", '"', "'", " ", "\\"]
# Options whose grammar allows none of HOSTILE, with a valid value to spoil.
STRICT = [
    ("python_version", "3.12"),
    ("poetry_version", "2.1.3"),
    ("poetry_plugin_export_version", "1.10.1"),
    ("uv_version", "0.13.9"),
    ("base_image", "python:3.12"),
    ("runtime_image", "python:3.12-slim"),
    ("syntax", "docker/dockerfile:1"),
    ("image_name", "shop"),
    ("user", "app"),
    ("network", "host"),
    ("extras", ["postgres"]),
    ("groups", ["ops"]),
    ("private_sources", ["internal"]),
    ("apt_packages", ["libpq5"]),
    ("build_apt_packages", ["libpq-dev"]),
    ("env", {"MODE": "x"}),  # the key
    ("labels", {"team": "x"}),
    ("build_args", {"MODE": "x"}),
]


def spoiled(value: Any, hostile: str) -> Any:
    if isinstance(value, list):
        return [value[0] + hostile]
    if isinstance(value, dict):
        return {key + hostile: item for key, item in value.items()}
    return value + hostile


@pytest.mark.parametrize("hostile", HOSTILE, ids=repr)
@pytest.mark.parametrize(("name", "value"), STRICT, ids=[name for name, _ in STRICT])
def test_a_hostile_character_is_refused_where_the_grammar_forbids_it(
    name: str, value: Any, hostile: str
) -> None:
    assert resolve(pyproject={option_key(name): value}, env={}, cli={})  # the valid one passes
    with pytest.raises(ConfigurationError, match=f"is not a valid {option_key(name)} "):
        resolve(pyproject={option_key(name): spoiled(value, hostile)}, env={}, cli={})


# Options whose value is free text on one line: a newline, a carriage return or a NUL could
# only end a Dockerfile instruction early, so they are refused in every one of them.
ONE_LINE = [
    ("app", "shop:app"),
    ("ca_bundle", "/etc/ssl/ca.pem"),
    ("command", ["gunicorn", "shop:app"]),
    ("test_command", ["pytest"]),
    ("lint_command", ["ruff"]),
    ("env", {"MODE": "x"}),  # the value
    ("labels", {"team": "web"}),
    ("build_args", {"MODE": "x"}),
    ("docker", "/usr/bin/docker"),
]


def spoiled_text(value: Any, hostile: str) -> Any:
    if isinstance(value, list):
        return [*value[:-1], value[-1] + hostile + "x"]
    if isinstance(value, dict):
        return {key: item + hostile + "x" for key, item in value.items()}
    return value + hostile + "x"


@pytest.mark.parametrize("layer", ["env", "flag"])
@pytest.mark.parametrize("hostile", ["\n", "\r", "\x00", "\x1b"], ids=repr)
@pytest.mark.parametrize(("name", "value"), ONE_LINE, ids=[name for name, _ in ONE_LINE])
def test_free_text_refuses_control_characters_but_keeps_shell_characters(
    name: str, value: Any, hostile: str, layer: Source
) -> None:
    assert resolve(**in_layer(name, spoiled_text(value, "$;`\"' "), layer))
    with pytest.raises(ConfigurationError, match=f"is not a valid {option_key(name)} "):
        resolve(**in_layer(name, spoiled_text(value, hostile), layer))


# --- reading strings: lists and tables --------------------------------------------------------


def test_a_toml_value_must_already_be_of_its_type() -> None:
    for table in ({"port": "7000"}, {"gate": "true"}, {"apt-packages": "libpq5"}):
        with pytest.raises(ConfigurationError, match=r"^\[tool\.quatrain\] "):
            resolve(pyproject=table, env={}, cli={})


def test_a_toml_table_holds_strings_only_as_the_schema_says() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={"env": {"WORKERS": 4}}, env={}, cli={})

    assert str(raised.value).startswith(
        "[tool.quatrain] env: 4 in {'WORKERS': 4} is not a valid env (expected a table"
    )


@pytest.mark.parametrize(
    ("layers", "start"),
    [
        ({"env": {"QUATRAIN_PORT": "9" * 5000}}, "QUATRAIN_PORT: '999"),
        ({"pyproject": {"port": datetime.time(8, 0)}}, "[tool.quatrain] port: datetime.time(8, 0)"),
        ({"pyproject": {"env": {"A": {"B": "C"}}}}, "[tool.quatrain] env: {'B': 'C'} in "),
        ({"pyproject": {"extras": [["a"]]}}, "[tool.quatrain] extras: ['a'] in [['a']]"),
        ({"cli": {"ca_bundle": Path("/ca.pem")}}, "--ca-bundle: PosixPath('/ca.pem')"),
    ],
    ids=["thousands-of-digits", "toml-time", "nested-table", "nested-array", "caller-object"],
)
def test_a_value_of_no_kind_the_rule_knows_is_a_configuration_error_not_a_crash(
    layers: dict[str, dict[str, Any]], start: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(
            pyproject=layers.get("pyproject", {}),
            env=layers.get("env", {}),
            cli=layers.get("cli", {}),
        )

    assert str(raised.value).startswith(start)


def test_a_toml_whole_float_is_an_int() -> None:
    assert resolve(pyproject={"port": 8000.0}, env={}, cli={}).options.port == 8000
    assert type(resolve(pyproject={"port": 8000.0}, env={}, cli={}).options.port) is int


def test_whole_numbers_from_the_environment_become_ints() -> None:
    resolved = resolve(
        pyproject={"port": 7000},
        env={"QUATRAIN_PORT": "8080", "QUATRAIN_WORKERS": " 3 ", "QUATRAIN_UID": "1000"},
        cli={},
    )

    assert (resolved.options.port, resolved.options.workers, resolved.options.uid) == (
        8080,
        3,
        1000,
    )
    assert resolved.sources["port"] == "env"


def test_a_list_in_a_variable_or_a_flag_is_split_like_a_shell_line() -> None:
    options = resolve(
        pyproject={},
        env={"QUATRAIN_APT_PACKAGES": "libpq5  'fonts-dejavu-core'\tcurl"},
        cli={"command": 'gunicorn --bind "0.0.0.0:$PORT" shop:app', "extras": ""},
    ).options

    assert options.apt_packages == ("libpq5", "fonts-dejavu-core", "curl")
    assert options.command == ("gunicorn", "--bind", "0.0.0.0:$PORT", "shop:app")
    assert options.extras == ()


def test_a_table_in_a_variable_or_a_flag_is_key_value_words() -> None:
    options = resolve(
        pyproject={},
        env={"QUATRAIN_ENV": "A=1 B='two words' EMPTY= URL=https://x.org/?a=b"},
        cli={"labels": "team=web"},
    ).options

    assert options.env == {"A": "1", "B": "two words", "EMPTY": "", "URL": "https://x.org/?a=b"}
    assert options.labels == {"team": "web"}


def test_a_sequence_from_a_caller_is_a_tuple() -> None:
    options = resolve(pyproject={}, env={}, cli={"groups": ("docs", "ops")}).options

    assert options.groups == ("docs", "ops")


@pytest.mark.parametrize(
    ("layers", "value"),
    [
        ({"pyproject": {"gate": True}}, True),
        ({"env": {"QUATRAIN_GATE": "yes"}}, True),
        ({"env": {"QUATRAIN_GATE": " Off "}}, False),
        ({"cli": {"gate": "1"}}, True),
        ({"cli": {"gate": False}}, False),
    ],
)
def test_gate_is_a_boolean_from_every_layer(layers: dict[str, dict[str, Any]], value: bool) -> None:
    options = resolve(
        pyproject=layers.get("pyproject", {}), env=layers.get("env", {}), cli=layers.get("cli", {})
    ).options

    assert options.gate is value


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            {"env": {"QUATRAIN_APT_PACKAGES": "libpq5 'curl"}},
            'QUATRAIN_APT_PACKAGES: "libpq5 \'curl" is not a valid apt-packages '
            "(expected a list of Debian package names: lowercase letters, digits, '+', '.' and "
            "'-', starting with a letter or a digit).",
        ),
        (
            {"cli": {"env": 'GREETING="hello'}},
            "--env: 'GREETING=\"hello' is not a valid env (expected a table of NAME = value, "
            "names of letters, digits and '_' not starting with a digit, values on one line).",
        ),
        (
            {"env": {"QUATRAIN_BUILD_ARGS": "PIP_INDEX_URL"}},
            "QUATRAIN_BUILD_ARGS: 'PIP_INDEX_URL' is not a valid build-args (expected a table "
            "of NAME = value, names of letters, digits and '_' not starting with a digit, "
            "values on one line).",
        ),
        (
            {"cli": {"labels": "=web"}},
            "--labels: '=web' is not a valid labels (expected a table of key = value, keys of "
            "letters, digits, '.', '_', '/' and '-' starting with a letter or a digit, values "
            "on one line).",
        ),
    ],
    ids=["unbalanced-list", "unbalanced-table", "word-without-equals", "word-without-key"],
)
def test_a_string_that_does_not_read_as_its_type_is_refused_by_the_same_rule(
    layers: dict[str, dict[str, Any]], message: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(pyproject={}, env=layers.get("env", {}), cli=layers.get("cli", {}))

    assert str(raised.value) == message


# --- Options is a value ------------------------------------------------------------------------


def test_options_cannot_be_assigned_to() -> None:
    options = resolve(pyproject={}, env={}, cli={}).options

    with pytest.raises(dataclasses.FrozenInstanceError):
        options.port = 80  # type: ignore[misc]


def test_the_lists_and_tables_of_options_cannot_be_changed() -> None:
    options = resolve(
        pyproject={"apt-packages": ["libpq5"], "env": {"A": "1"}, "command": ["gunicorn"]},
        env={},
        cli={},
    ).options

    assert isinstance(options.apt_packages, tuple)
    assert isinstance(options.command, tuple)
    assert isinstance(options.env, MappingProxyType)
    with pytest.raises(AttributeError):
        options.apt_packages.append("curl")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        options.env["B"] = "2"  # type: ignore[index]
    with pytest.raises(TypeError):
        options.labels["team"] = "web"  # type: ignore[index]


def test_options_built_from_a_list_and_a_dict_keep_no_reference_to_them() -> None:
    packages, env = ["libpq5"], {"A": "1"}
    options = Options(apt_packages=packages, env=env)  # type: ignore[arg-type]
    packages.append("curl")
    env["B"] = "2"

    assert options.apt_packages == ("libpq5",)
    assert options.env == {"A": "1"}


def test_the_sources_cannot_be_changed() -> None:
    sources = resolve(pyproject={}, env={}, cli={}).sources

    with pytest.raises(TypeError):
        sources["port"] = "flag"  # type: ignore[index]
