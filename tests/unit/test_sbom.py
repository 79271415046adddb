"""The SBOM from the lock: what it lists, with which hashes, valid CycloneDX, stable bytes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import dockerfile  # type: ignore[import-not-found]  # compiled Go, ships no stubs
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from quatrain.choosing import images
from quatrain.dockerfile import sbom
from quatrain.pipeline import make_plan
from quatrain.reading.project import load_project
from quatrain.settings.resolution import resolve
from unit.conftest import lock_text, locked, pep621, write_project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"


def sbom_of(root: Path, **cli: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(sbom_text(root, **cli))
    return document


def sbom_text(root: Path, **cli: Any) -> str:
    """The SBOM as the pipeline's choices make it (options, images, lock needs)."""
    project = load_project(root)
    options = resolve(pyproject=project.tool_quatrain, env={}, cli=cli).options
    chosen, _ = images.choose(project, options)
    needs, _ = images.lock_needs(project, options, chosen)
    return sbom.sbom(project, options, images=chosen, needs=needs)


def libraries(document: dict[str, Any]) -> dict[str, str]:
    """purl name -> version of the library components."""
    return {
        c["purl"].removeprefix("pkg:pypi/").split("@")[0]: c["version"]
        for c in document["components"]
        if c["type"] == "library"
    }


def test_the_example_lists_its_runtime_packages_and_none_of_its_dev_group() -> None:
    document = sbom_of(EXAMPLE)

    assert libraries(document) == {
        "blinker": "1.9.0",
        "click": "8.5.1",
        "flask": "3.1.3",
        "gunicorn": "27.0.1",
        "itsdangerous": "2.2.0",
        "jinja2": "3.1.6",
        "markupsafe": "3.0.4",
        "werkzeug": "3.1.9",
    }  # pytest, pluggy, iniconfig, packaging, pygments and colorama are the dev group's


def test_every_library_carries_every_hash_the_lock_has_for_it() -> None:
    locked_files = tomllib.loads((EXAMPLE / "poetry.lock").read_text(encoding="utf-8"))
    expected = {
        p["name"]: sorted(f["hash"].removeprefix("sha256:") for f in p["files"])
        for p in locked_files["package"]
    }

    document = sbom_of(EXAMPLE)

    for component in document["components"]:
        if component["type"] == "library":
            assert {h["alg"] for h in component["hashes"]} == {"SHA-256"}
            found = sorted(h["content"] for h in component["hashes"])
            assert found == expected[component["name"]], component["name"]


def test_the_sbom_is_valid_cyclonedx_1_6_by_the_strict_schema() -> None:
    text = sbom_text(EXAMPLE)

    assert json.loads(text)["specVersion"] == "1.6"
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def test_the_project_the_python_and_the_base_image_are_described() -> None:
    document = sbom_of(EXAMPLE, python_version="3.12", debian_release="bookworm")

    root = document["metadata"]["component"]
    assert (root["name"], root["version"], root["purl"]) == (
        "coach-planner",
        "0.1.0",
        "pkg:pypi/coach-planner@0.1.0",
    )
    others = {c["type"]: c for c in document["components"] if c["type"] != "library"}
    assert (others["platform"]["name"], others["platform"]["version"]) == ("cpython", "3.12")
    assert others["platform"]["purl"] == "pkg:generic/cpython@3.12"
    assert (others["container"]["name"], others["container"]["version"]) == (
        "python",
        "3.12-slim-bookworm",
    )


def test_a_runtime_image_option_is_the_base_image_named() -> None:
    document = sbom_of(EXAMPLE, runtime_image="registry.example:5000/team/py:3.12-slim")

    container = next(c for c in document["components"] if c["type"] == "container")
    assert (container["name"], container["version"]) == (
        "registry.example:5000/team/py",
        "3.12-slim",
    )
    assert container["bom-ref"] == "image:registry.example:5000/team/py:3.12-slim"


def test_the_same_inputs_give_the_same_bytes_and_no_timestamp(tmp_path: Path) -> None:
    first, second = sbom_text(EXAMPLE), sbom_text(EXAMPLE)

    assert first == second
    assert "timestamp" not in json.loads(first)["metadata"]
    assert json.loads(first)["serialNumber"].startswith("urn:uuid:")
    other = sbom_text(EXAMPLE, python_version="3.12")
    assert json.loads(other)["serialNumber"] != json.loads(first)["serialNumber"]


def project(tmp_path: Path, lock: str, *, package_mode: bool = True, extra: str = "") -> Path:
    mode = "" if package_mode else "[tool.poetry]\npackage-mode = false\n"
    files = {"pyproject.toml": pep621(dependencies=["flask>=3"], extra=mode + extra)}
    if package_mode:
        files["shop/__init__.py"] = ""
    return write_project(tmp_path, files, lock=lock)


def with_markers(entry: str, marker: str) -> str:
    return entry + f"markers = {json.dumps(marker)}\n"


def test_a_lock_2_1_package_whose_marker_excludes_the_python_is_left_out(tmp_path: Path) -> None:
    lock = lock_text(
        locked("flask", "3.1.3"),
        with_markers(locked("tomli", "2.0.1"), 'python_version < "3.11"'),
        with_markers(locked("pywin32", "306"), 'sys_platform == "win32"'),
        with_markers(locked("uvloop", "0.21.0"), 'sys_platform != "win32"'),
    )
    root = project(tmp_path, lock)

    assert set(libraries(sbom_of(root, python_version="3.12"))) == {"flask", "uvloop"}
    assert set(libraries(sbom_of(root, python_version="3.10"))) == {"flask", "tomli", "uvloop"}


LOCK_1_1 = """\
[[package]]
name = "Flask"
version = "2.0.1"
description = ""
category = "main"
optional = false
python-versions = ">=3.6"

[package.dependencies]
click = ">=7.1.2"

[[package]]
name = "click"
version = "8.0.1"
description = ""
category = "main"
optional = false
python-versions = ">=3.6"

[package.dependencies]
colorama = {version = "*", markers = "platform_system == \\"Windows\\""}

[[package]]
name = "colorama"
version = "0.4.4"
description = ""
category = "main"
optional = false
python-versions = "*"

[[package]]
name = "pytest"
version = "6.2.5"
description = ""
category = "dev"
optional = false
python-versions = ">=3.6"

[metadata]
lock-version = "1.1"
python-versions = "^3.9"
content-hash = "@fresh@"

# Poetry writes these as inline tables; the same TOML, a key a line.
[[metadata.files.flask]]
file = "Flask-2.0.1-py3-none-any.whl"
hash = "sha256:a6209ca15eb63fc9385f38e452704113d679511d9574d09b2cf9183ae7d20dc9"

[[metadata.files.flask]]
file = "Flask-2.0.1.tar.gz"
hash = "sha256:1c4c257b1892aec1398784c63791cbaa43062f1f7aeb555c4da961b20ee68f55"

[[metadata.files.click]]
file = "click-8.0.1-py3-none-any.whl"
hash = "sha256:fba402a4a47334742d782209a7c79bc448911afe1149d07bdabdf480b3e2f4b6"

[[metadata.files.colorama]]
file = "colorama-0.4.4-py2.py3-none-any.whl"
hash = "sha256:9f47eda37229f68eee03b24b9748937c7dc3868f906e8ba69fbcbdd3bc5dc3e2"

[[metadata.files.pytest]]
file = "pytest-6.2.5-py3-none-any.whl"
hash = "sha256:7310f8d27bc79ced999e760ca304d69f6ba6c6649c0b60fb0e04a4a77cacc134"
"""


def test_a_lock_1_1_leaves_out_the_dev_category_and_a_windows_only_edge(tmp_path: Path) -> None:
    root = project(tmp_path, LOCK_1_1)

    document = sbom_of(root, python_version="3.11")

    assert libraries(document) == {"flask": "2.0.1", "click": "8.0.1"}
    flask = next(c for c in document["components"] if c["name"] == "Flask")
    assert sorted(h["content"] for h in flask["hashes"]) == [
        "1c4c257b1892aec1398784c63791cbaa43062f1f7aeb555c4da961b20ee68f55",
        "a6209ca15eb63fc9385f38e452704113d679511d9574d09b2cf9183ae7d20dc9",
    ]
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document)) is None


def test_a_lock_2_0_follows_edges_that_apply_and_drops_what_only_excluded_ones_reach(
    tmp_path: Path,
) -> None:
    def entry(name: str, dependencies: str = "") -> str:
        return locked(name, "1.0", groups=["main"]) + (
            f"\n[package.dependencies]\n{dependencies}" if dependencies else ""
        )

    lock = lock_text(
        entry("flask", 'a = "*"\nwin = {version = "*", markers = "os_name == \\"nt\\""}\n'),
        entry("a", 'b = {version = "*", markers = "python_version >= \\"3.8\\""}\n'),
        entry("b"),
        entry("win", 'only-through-win = "*"\n'),
        entry("only-through-win"),
        lock_version="2.0",
    )
    root = project(tmp_path, lock)

    assert set(libraries(sbom_of(root, python_version="3.12"))) == {"flask", "a", "b"}


def test_an_optional_package_is_listed_only_when_its_extra_is_chosen(tmp_path: Path) -> None:
    entry = locked("psycopg2-binary", "2.9.9").replace("optional = false", "optional = true")
    lock = lock_text(locked("flask", "3.1.3"), entry) + '\n[extras]\npg = ["psycopg2-binary"]\n'
    extra = '[project.optional-dependencies]\npg = ["psycopg2-binary"]\n'
    root = project(tmp_path, lock, extra=extra)

    assert set(libraries(sbom_of(root))) == {"flask"}
    assert set(libraries(sbom_of(root, extras=["pg"]))) == {"flask", "psycopg2-binary"}


def test_an_application_has_no_wheel_so_its_component_has_no_purl(tmp_path: Path) -> None:
    root = project(tmp_path, lock_text(locked("flask", "3.1.3")), package_mode=False)

    document = sbom_of(root)

    assert "purl" not in document["metadata"]["component"]
    assert document["metadata"]["component"]["name"] == "shop"
    assert set(libraries(document)) == {"flask"}


def test_setuptools_is_listed_with_its_pinned_hash_when_quatrain_adds_it(tmp_path: Path) -> None:
    gunicorn = locked("gunicorn", "20.1.0")  # imports pkg_resources; the lock has no setuptools
    root = project(tmp_path, lock_text(locked("flask", "3.1.3"), gunicorn))

    document = sbom_of(root)

    assert libraries(document)["setuptools"] == "80.10.2"
    setuptools = next(c for c in document["components"] if c["name"] == "setuptools")
    assert [h["content"] for h in setuptools["hashes"]] == [
        "95b30ddfb717250edb492926c92b5221f7ef3fbcc2b07579bcd4a27da21d0173"
    ]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("python:3.12-slim", ("python", "3.12-slim")),
        ("localhost:5000/py", ("localhost:5000/py", None)),
        ("r.example/py@sha256:" + "a" * 64, ("r.example/py", "sha256:" + "a" * 64)),
    ],
)
def test_an_image_reference_splits_into_name_and_tag_or_digest(
    reference: str, expected: tuple[str, str | None]
) -> None:
    assert sbom.split_reference(reference) == expected


def test_the_production_stage_writes_exactly_this_sbom_by_buildkits_own_parser() -> None:
    """BuildKit's parser (the Go code, in-process) reads the RUN as exec form, and its
    arguments are the writer, the path and the SBOM's lines."""
    text = make_plan(EXAMPLE, env={}, cli={}).files["Dockerfile"]
    commands = list(dockerfile.parse_string(text))
    production = max(i for i, c in enumerate(commands) if c.cmd == "FROM")
    writes = [
        c for c in commands[production:] if c.cmd == "RUN" and c.json and sbom.SBOM_PATH in c.value
    ]

    assert len(writes) == 1
    argv = list(writes[0].value)
    assert argv[:2] == ["python", "-c"]
    assert argv[3] == sbom.SBOM_PATH
    assert "\n".join(argv[4:]) + "\n" == sbom_text(EXAMPLE)
    # Before USER: the app's user may not write /usr/share/doc.
    user = next(i for i, c in enumerate(commands) if c.cmd == "USER")
    assert commands.index(writes[0]) < user
