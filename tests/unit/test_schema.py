"""The JSON schema of [tool.quatrain]: derived from Options, shipped as a file, and strict."""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Mapping
from importlib.resources import files
from typing import Any, Literal

import jsonschema  # type: ignore[import-untyped]
import pytest
from packaging.version import Version

from quatrain.choosing.images import DEBIAN_RELEASES
from quatrain.settings.options import FIELDS, Options, as_plain, json_schema, option_key
from quatrain.settings.schema import RULES, SCHEMA_FILE, get_schema


def shipped() -> dict[str, Any]:
    text = (
        files("quatrain.settings")
        .joinpath("resources")
        .joinpath(SCHEMA_FILE)
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def errors(table: Mapping[str, Any]) -> list[str]:
    """What a real Draft 7 validator, as an editor runs it, says about a [tool.quatrain]."""
    validator = jsonschema.Draft7Validator(shipped(), format_checker=jsonschema.FormatChecker())
    return sorted(
        f"{'.'.join(str(p) for p in e.absolute_path)}: {e.validator}"
        for e in validator.iter_errors(table)
    )


@functools.cache
def fast_validator() -> Any:
    """The shipped schema compiled as validate-pyproject compiles it, with its pep440 format."""
    import fastjsonschema

    return fastjsonschema.compile(shipped(), formats={"pep440": lambda v: bool(Version(v))})


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert shipped() == json_schema()


def test_get_schema_reads_the_shipped_file() -> None:
    assert get_schema() == shipped()
    assert get_schema("quatrain") == shipped()


def test_the_schema_is_a_valid_draft_7_schema_that_names_itself() -> None:
    schema = shipped()

    jsonschema.Draft7Validator.check_schema(schema)
    assert {k: v for k, v in schema.items() if k not in ("properties", "definitions")} == {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://quatrain.invalid/schema/tool.quatrain.json",
        "title": "[tool.quatrain] in pyproject.toml",
        "type": "object",
        "additionalProperties": False,
    }


def test_every_field_of_options_has_a_rule_and_every_rule_a_field() -> None:
    assert list(RULES) == list(FIELDS)


def test_every_field_of_options_has_a_definition_and_every_definition_a_field() -> None:
    assert list(shipped()["definitions"]) == [option_key(name) for name in FIELDS]


def test_every_option_but_docker_is_a_property_of_the_table() -> None:
    properties = shipped()["properties"]

    assert list(properties) == [option_key(name) for name in FIELDS if RULES[name].in_pyproject]
    assert {key: prop for key, prop in properties.items()} == {
        key: {"$ref": f"#/definitions/{key}"} for key in properties
    }


def _json_type(hint: Any) -> Any:
    """The JSON schema type an Options annotation stands for."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        (hint,) = args
    origin = typing.get_origin(hint)
    if origin is Literal:
        return list(typing.get_args(hint))
    if origin is tuple:
        assert typing.get_args(hint) == (str, ...)
        return "array"
    if origin is Mapping:
        assert typing.get_args(hint) == (str, str)
        return "object"
    return {str: "string", int: "integer", bool: "boolean"}[hint]


def test_every_definition_has_the_type_of_its_field() -> None:
    hints = typing.get_type_hints(Options)
    definitions = shipped()["definitions"]

    assert {key: d.get("type", d.get("enum")) for key, d in definitions.items()} == {
        option_key(name): _json_type(hints[name]) for name in FIELDS
    }


def test_the_debian_releases_are_those_with_official_images() -> None:
    assert shipped()["definitions"]["debian-release"]["enum"] == list(DEBIAN_RELEASES)


def test_every_definition_says_what_the_option_does() -> None:
    definitions = shipped()["definitions"]

    assert {key: d["description"] for key, d in definitions.items()} == {
        option_key(name): field.metadata["help"] for name, field in FIELDS.items()
    }


def test_a_default_is_given_exactly_when_options_has_a_literal_one() -> None:
    definitions = shipped()["definitions"]

    assert {key: d["default"] for key, d in definitions.items() if "default" in d} == {
        option_key(name): value for name, value in as_plain(Options()).items() if value is not None
    }


def test_every_default_is_valid_by_its_own_rule() -> None:
    defaults = {key: d["default"] for key, d in shipped()["definitions"].items() if "default" in d}
    # not keys of the table: their defaults are checked in test_options
    del defaults["docker"], defaults["build-env"]

    assert defaults  # the check below must check something
    assert errors(defaults) == []


def test_a_table_with_every_option_set_validates() -> None:
    table = {
        "python-version": "3.12",
        "debian-release": "bookworm",
        "build-flavor": "full",
        "base-image": "registry.example.org/python:3.12",
        "runtime-image": "registry.example.org/python:3.12-slim",
        "poetry-version": "2.5.1",
        "poetry-plugin-export-version": "1.10.1",
        "uv-version": "0.13.9",
        "serve": "django",
        "app": "mysite.wsgi:application",
        "command": ["gunicorn", "mysite.wsgi:application"],
        "ca-bundle": "/etc/ssl/corporate.pem",
        "keep-ca-bundle": True,
        "private-sources": ["internal"],
        "extras": ["postgres"],
        "groups": ["ops"],
        "test-command": ["pytest", "-x"],
        "lint-command": ["ruff", "check", "."],
        "gate": True,
        "port": 8000,
        "workers": 4,
        "threads": 2,
        "access-log": True,
        "image-name": "registry.example.org/mysite",
        "user": "web",
        "uid": 1000,
        "env": {"DJANGO_DEBUG": "0"},
        "labels": {"org.example.team": "web"},
        "apt-packages": ["libpq5"],
        "build-apt-packages": ["libpq-dev"],
        "build-args": {"PIP_INDEX_URL": "https://pypi.example.org/simple"},
        "engine": "podman",
        "network": "host",
        "syntax": "docker/dockerfile:1",
        "compose": False,
    }

    assert sorted(table) == sorted(option_key(n) for n in FIELDS if RULES[n].in_pyproject)
    assert errors(table) == []
    pytest.importorskip("fastjsonschema")
    fast_validator()(table)


def test_an_unknown_key_and_docker_are_rejected() -> None:
    assert errors({"pyhton-version": "3.12", "docker": "./evil.sh", "port": 8000}) == [
        ": additionalProperties"
    ]


FORBIDDEN: list[tuple[dict[str, Any], str]] = [
    ({"port": "8000"}, "port: type"),
    ({"port": True}, "port: type"),
    ({"port": 0}, "port: minimum"),
    ({"port": 65536}, "port: maximum"),
    ({"uid": 0}, "uid: minimum"),
    ({"workers": 0}, "workers: minimum"),
    ({"threads": 0}, "threads: minimum"),
    ({"serve": "heroku"}, "serve: enum"),
    ({"python-version": "3.12.1"}, "python-version: pattern"),
    ({"python-version": "3.12\n"}, "python-version: not"),  # Python's $ passes "\n"
    ({"poetry-version": "2.x"}, "poetry-version: pattern"),
    ({"base-image": "python:$TAG"}, "base-image: pattern"),
    ({"image-name": "shop:latest"}, "image-name: pattern"),
    ({"user": "Web"}, "user: pattern"),
    ({"gate": "yes"}, "gate: type"),
    ({"apt-packages": "libpq5"}, "apt-packages: type"),
    ({"apt-packages": ["LibPQ"]}, "apt-packages.0: pattern"),
    ({"extras": ["a;b"]}, "extras.0: pattern"),
    ({"command": []}, "command: minItems"),
    ({"command": ["gunicorn", 1]}, "command.1: type"),
    ({"test-command": ["a\x00"]}, "test-command.0: not"),
    ({"env": {"WORKERS": 4}}, "env.WORKERS: type"),
    ({"env": {"1X": "a"}}, "env: pattern"),  # the key's (propertyNames)
    ({"labels": {"a b": "c"}}, "labels: pattern"),
    ({"build-args": {"A": "x\ny"}}, "build-args.A: not"),
]  # fmt: skip


@pytest.mark.parametrize(
    "table", [table for table, _ in FORBIDDEN] + [{"docker": "./evil.sh"}], ids=repr
)
def test_validate_pyprojects_validator_refuses_what_jsonschema_refuses(
    table: dict[str, Any],
) -> None:
    """validate-pyproject compiles the shipped file with fastjsonschema (Poetry's too)."""
    fastjsonschema = pytest.importorskip("fastjsonschema")

    assert errors(table) != []
    with pytest.raises(fastjsonschema.JsonSchemaException):
        fast_validator()(table)


@pytest.mark.parametrize(("table", "error"), FORBIDDEN)
def test_a_value_the_rules_forbid_is_rejected_by_a_standard_validator(
    table: dict[str, Any], error: str
) -> None:
    assert errors(table) == [error]
