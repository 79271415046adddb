"""The JSON schema of [tool.quatrain]: derived from Options, shipped as a file, and strict."""

from __future__ import annotations

import dataclasses
import json
from importlib.resources import files
from typing import Any

import pytest

from quatrain.options import FIELDS, Options, option_key
from quatrain.schema import SCHEMA_FILE, generate_schema, get_schema

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "array": list,
    "object": dict,
}


def violations(schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """The few JSON-schema keywords quatrain's schema uses, checked as draft 7 reads them
    (jsonschema is not a dependency; this is enough for a schema this small)."""
    found = []
    kind = schema.get("type")
    if kind is not None:
        expected = _TYPES[kind]
        # JSON has no bool among its integers: true is not an integer.
        if not isinstance(value, expected) or (kind == "integer" and isinstance(value, bool)):
            return [f"{where}: {value!r} is not of type {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if "minLength" in schema and len(value) < schema["minLength"]:
        found.append(f"{where}: {value!r} is too short")
    if "minimum" in schema and value < schema["minimum"]:
        found.append(f"{where}: {value!r} is less than {schema['minimum']}")
    if "items" in schema:
        for index, item in enumerate(value):
            found += violations(schema["items"], item, f"{where}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                found += violations(properties[key], item, f"{where}.{key}")
            elif extra is False:
                found.append(f"{where}: additional property {key!r} is not allowed")
            elif isinstance(extra, dict):
                found += violations(extra, item, f"{where}.{key}")
    return found


def shipped() -> dict[str, Any]:
    text = files("quatrain").joinpath("resources").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert shipped() == generate_schema()


def test_get_schema_reads_the_shipped_file() -> None:
    assert get_schema() == shipped()
    assert get_schema("quatrain") == shipped()


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param(generate_schema, id="generated"),
        pytest.param(shipped, id="shipped"),
    ],
)
def test_the_schemas_properties_are_the_option_keys_in_order(schema: Any) -> None:
    assert list(schema()["properties"]) == [option_key(name) for name in FIELDS]


def test_every_property_says_what_the_option_does() -> None:
    properties = generate_schema()["properties"]

    assert {key: prop["description"] for key, prop in properties.items()} == {
        option_key(name): field.metadata["help"] for name, field in FIELDS.items()
    }


def test_a_default_is_given_exactly_when_options_has_a_literal_one() -> None:
    properties = generate_schema()["properties"]
    defaults = dataclasses.asdict(Options())

    assert {key: prop["default"] for key, prop in properties.items() if "default" in prop} == {
        option_key(name): value for name, value in defaults.items() if value is not None
    }


@pytest.mark.parametrize("schema", [generate_schema, shipped], ids=["generated", "shipped"])
def test_every_default_validates_against_its_property(schema: Any) -> None:
    properties = schema()["properties"]
    defaults = {key: prop["default"] for key, prop in properties.items() if "default" in prop}

    assert defaults  # the check below must check something
    assert {key: violations(properties[key], value) for key, value in defaults.items()} == {
        key: [] for key in defaults
    }


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
        "uid": 0,
        "env": {"DJANGO_DEBUG": "0"},
        "labels": {"org.example.team": "web"},
        "apt-packages": ["libpq5"],
        "build-apt-packages": ["libpq-dev"],
        "build-args": {"PIP_INDEX_URL": "https://pypi.example.org/simple"},
        "docker": "podman",
        "network": "host",
        "syntax": "docker/dockerfile:1",
    }

    assert sorted(table) == sorted(option_key(name) for name in FIELDS)
    assert violations(generate_schema(), table) == []


def test_an_unknown_key_is_rejected() -> None:
    assert violations(generate_schema(), {"pyhton-version": "3.12", "port": 8000}) == [
        "$: additional property 'pyhton-version' is not allowed"
    ]
    assert generate_schema()["additionalProperties"] is False


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ({"port": "8000"}, "$.port: '8000' is not of type integer"),
        ({"port": True}, "$.port: True is not of type integer"),
        ({"uid": -1}, "$.uid: -1 is less than 0"),
        ({"serve": "heroku"}, "$.serve: 'heroku' is not one of "
                              "['auto', 'flask', 'asgi', 'django', 'console-script']"),
        ({"docker": ""}, "$.docker: '' is too short"),
        ({"gate": "yes"}, "$.gate: 'yes' is not of type boolean"),
        ({"apt-packages": "libpq5"}, "$.apt-packages: 'libpq5' is not of type array"),
        ({"command": ["gunicorn", 1]}, "$.command[1]: 1 is not of type string"),
        ({"env": {"WORKERS": 4}}, "$.env.WORKERS: 4 is not of type string"),
    ],
)  # fmt: skip
def test_a_value_of_the_wrong_kind_is_rejected(table: dict[str, Any], error: str) -> None:
    assert violations(generate_schema(), table) == [error]


def test_the_schema_is_draft_7_and_names_itself() -> None:
    schema = generate_schema()

    assert {k: v for k, v in schema.items() if k != "properties"} == {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://quatrain.invalid/schema/tool.quatrain.json",
        "title": "[tool.quatrain] in pyproject.toml",
        "type": "object",
        "additionalProperties": False,
    }
