"""The JSON schema of [tool.quatrain], derived from `Options` and shipped as a file.

The file is what editors and validate-pyproject read (entry point `get_schema`); a test keeps it
equal to `generate_schema()`. Regenerate it with `python -m quatrain.schema > FILE`.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import typing
from importlib.resources import files
from typing import Any, Literal

from quatrain.options import FIELDS, Options, non_none_types, option_key

SCHEMA_FILE = "quatrain.schema.json"


def _default(name: str) -> Any:
    field = FIELDS[name]
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def _type_schema(kind: Any) -> dict[str, Any]:
    origin = typing.get_origin(kind)
    if origin is Literal:
        return {"enum": list(typing.get_args(kind))}
    if origin is list:
        return {"type": "array", "items": {"type": "string"}}
    if origin is dict:
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if kind is bool:
        return {"type": "boolean"}
    if kind is int:
        return {"type": "integer", "minimum": 0}
    return {"type": "string", "minLength": 1}


def _property(name: str) -> dict[str, Any]:
    (kind,) = non_none_types(typing.get_type_hints(Options)[name])
    prop = {"description": FIELDS[name].metadata["help"], **_type_schema(kind)}
    default = _default(name)
    if default is not None:  # None means "decided from the project", which has no literal
        prop["default"] = default
    return prop


def generate_schema() -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://quatrain.invalid/schema/tool.quatrain.json",
        "title": "[tool.quatrain] in pyproject.toml",
        "type": "object",
        "additionalProperties": False,
        "properties": {option_key(name): _property(name) for name in FIELDS},
    }


def get_schema(tool_name: str = "quatrain") -> dict[str, Any]:
    """The shipped schema, for validate-pyproject's tool_schema entry point."""
    text = files("quatrain").joinpath("resources").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


if __name__ == "__main__":
    json.dump(generate_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
