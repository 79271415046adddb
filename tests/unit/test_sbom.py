"""The SBOM step (dockerfile/sbom.py), run on a venv and a build directory made here: what it
lists, which file's hash it gives each distribution, valid CycloneDX, stable bytes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from quatrain import __version__
from quatrain.dockerfile import sbom

PY312_LINUX = "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"


def installed(
    venv: Path,
    name: str,
    version: str,
    *,
    tags: Sequence[str] = ("py3-none-any",),
    requires: Sequence[str] = (),
    extras: Sequence[str] = (),
    direct_url: Mapping[str, Any] | None = None,
) -> None:
    """A .dist-info as an installer leaves it: METADATA, WHEEL (a Tag line per tag)."""
    site = venv / "lib" / "python3.12" / "site-packages"
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Summary: {name} does things"]
    metadata += [f"Provides-Extra: {e}" for e in extras]
    metadata += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(metadata) + "\n", encoding="utf-8")
    wheel = ["Wheel-Version: 1.0", "Root-Is-Purelib: false", *(f"Tag: {t}" for t in tags)]
    (info / "WHEEL").write_text("\n".join(wheel) + "\n", encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def package(name: str, version: str, files: Sequence[str], deps: str = "") -> str:
    entries = ", ".join(f'{{file = "{f}", hash = "{digest(f)}"}}' for f in files)
    return f'[[package]]\nname = "{name}"\nversion = "{version}"\nfiles = [{entries}]\n{deps}\n'


MARKUPSAFE_FILES = [
    f"markupsafe-3.0.2-{PY312_LINUX}.whl",
    "markupsafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "markupsafe-3.0.2-cp312-cp312-macosx_11_0_arm64.whl",
    "markupsafe-3.0.2-cp312-cp312-musllinux_1_2_x86_64.whl",
    "markupsafe-3.0.2.tar.gz",
]


def build_dir(
    tmp_path: Path, lock: str, *, package_mode: bool = True, pins: str = "", wheel: bool = True
) -> Path:
    build = tmp_path / "build"
    build.mkdir()
    mode = "" if package_mode else "\n[tool.poetry]\npackage-mode = false\n"
    (build / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nversion = "1.2.3"\ndependencies = ["flask>=3", "psycopg2"]\n'
        + mode,
        encoding="utf-8",
    )
    (build / "poetry.lock").write_text(lock + '[metadata]\nlock-version = "2.1"\n', "utf-8")
    if package_mode and wheel:
        (build / "dist").mkdir()
        (build / "dist" / "shop-1.2.3-py3-none-any.whl").write_bytes(b"the project's wheel")
    if pins:
        (build / "requirements.server.txt").write_text(pins, encoding="utf-8")
    return build


def shop(tmp_path: Path, *, package_mode: bool = True) -> tuple[Path, Path]:
    """A venv like production's and the build stage's directory: flask (pure), markupsafe
    from its cp312 manylinux wheel, psycopg2 built here from its sdist, gunicorn brought by
    quatrain (pinned), a git dependency, and the project's own wheel."""
    venv = tmp_path / "venv"
    installed(venv, "Flask", "3.1.0", requires=["MarkupSafe>=2.1", "colorama; os_name == 'nt'"])
    installed(venv, "MarkupSafe", "3.0.2", tags=[PY312_LINUX.split(".")[0], PY312_LINUX.replace(
        "manylinux_2_17_x86_64.", ""
    )])  # fmt: skip
    installed(venv, "psycopg2", "2.9.10", tags=["cp312-cp312-linux_x86_64"])
    installed(venv, "gunicorn", "23.0.0", requires=["packaging"])
    installed(venv, "packaging", "24.2")
    installed(
        venv, "toolbox", "0.3.0",
        direct_url={"url": "https://example.org/toolbox.git",
                    "vcs_info": {"vcs": "git", "commit_id": "a" * 40}},
    )  # fmt: skip
    if package_mode:
        installed(venv, "shop", "1.2.3", requires=["flask>=3", "psycopg2", "toolbox"])
    lock = "".join(
        [
            package("flask", "3.1.0", ["flask-3.1.0-py3-none-any.whl", "flask-3.1.0.tar.gz"]),
            package("markupsafe", "3.0.2", MARKUPSAFE_FILES),
            package("psycopg2", "2.9.10", ["psycopg2-2.9.10.tar.gz"]),
            package("packaging", "24.2", ["packaging-24.2-py3-none-any.whl"]),
            '[[package]]\nname = "toolbox"\nversion = "0.3.0"\nfiles = []\n\n',
        ]
    )
    pins = f"gunicorn==23.0.0 --hash={digest('gunicorn wheel')}\n"
    return venv, build_dir(tmp_path, lock, package_mode=package_mode, pins=pins)


def document_of(venv: Path, build: Path, **given: str) -> dict[str, Any]:
    return sbom.sbom(
        venv, build, base_image=given.get("base_image", "python:3.12-slim-bookworm"),
        base_digest=given.get("base_digest", ""), python="3.12.8",
    )  # fmt: skip


def by_name(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in document["components"] if c["type"] == "library"}


def hash_of(component: Mapping[str, Any]) -> str | None:
    hashes = component.get("hashes", [])
    assert len(hashes) <= 1, "one file installed, one hash"
    return f"sha256:{hashes[0]['content']}" if hashes else None


def source_of(component: Mapping[str, Any]) -> str:
    found = {p["name"]: p["value"] for p in component["properties"]}
    return str(found["quatrain:installed-from"])


def test_every_installed_distribution_is_listed_once_and_the_project_is_the_root(
    tmp_path: Path,
) -> None:
    document = document_of(*shop(tmp_path))

    assert sorted(by_name(document)) == [
        "Flask", "MarkupSafe", "gunicorn", "packaging", "psycopg2", "toolbox",
    ]  # fmt: skip
    root = document["metadata"]["component"]
    assert (root["name"], root["version"], root["purl"]) == (
        "shop", "1.2.3", "pkg:pypi/shop@1.2.3",
    )  # fmt: skip


def test_a_wheel_is_known_by_the_hash_of_the_lock_file_whose_tags_it_records(
    tmp_path: Path,
) -> None:
    """Of five files the lock has for MarkupSafe (two Pythons, three platforms, an sdist),
    the one with exactly the installed WHEEL's tags."""
    found = by_name(document_of(*shop(tmp_path)))

    assert source_of(found["MarkupSafe"]) == f"markupsafe-3.0.2-{PY312_LINUX}.whl"
    assert hash_of(found["MarkupSafe"]) == digest(f"markupsafe-3.0.2-{PY312_LINUX}.whl")
    assert hash_of(found["Flask"]) == digest("flask-3.1.0-py3-none-any.whl")


def test_a_distribution_built_here_from_its_sdist_is_known_by_the_sdists_hash(
    tmp_path: Path,
) -> None:
    found = by_name(document_of(*shop(tmp_path)))

    assert source_of(found["psycopg2"]) == "psycopg2-2.9.10.tar.gz"
    assert hash_of(found["psycopg2"]) == digest("psycopg2-2.9.10.tar.gz")


def test_the_projects_wheel_is_hashed_as_built_and_a_pinned_server_by_its_pin(
    tmp_path: Path,
) -> None:
    venv, build = shop(tmp_path)
    document = document_of(venv, build)

    root = document["metadata"]["component"]
    assert hash_of(root) == "sha256:" + hashlib.sha256(b"the project's wheel").hexdigest()
    assert source_of(root) == "shop-1.2.3-py3-none-any.whl"
    assert hash_of(by_name(document)["gunicorn"]) == digest("gunicorn wheel")
    assert source_of(by_name(document)["gunicorn"]) == "pinned by quatrain"


def test_a_git_dependency_names_its_commit_and_claims_no_hash(tmp_path: Path) -> None:
    toolbox = by_name(document_of(*shop(tmp_path)))["toolbox"]

    assert hash_of(toolbox) is None
    assert source_of(toolbox) == f"git+https://example.org/toolbox.git@{'a' * 40}"
    assert toolbox["purl"] == (
        "pkg:pypi/toolbox@0.3.0?vcs_url=git%2Bhttps%3A%2F%2Fexample.org%2Ftoolbox.git%40" + "a" * 40
    )


def test_no_file_with_the_installed_tags_and_no_sdist_is_said_not_guessed(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    installed(venv, "orjson", "3.10.0", tags=["cp312-cp312-manylinux_2_28_aarch64"])
    lock = package("orjson", "3.10.0", [f"orjson-3.10.0-{PY312_LINUX}.whl"])

    found = by_name(document_of(venv, build_dir(tmp_path, lock, wheel=False)))

    assert hash_of(found["orjson"]) is None
    assert source_of(found["orjson"]) == "no file in poetry.lock has the installed tags"


def test_the_lock_1_1_files_table_is_read_too(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    installed(venv, "click", "8.0.1")
    lock = (
        '[[package]]\nname = "click"\nversion = "8.0.1"\n\n'
        '[metadata.files]\nclick = [\n    {file = "click-8.0.1-py3-none-any.whl", '
        f'hash = "{digest("click wheel")}"}},\n]\n'
    )

    found = by_name(document_of(venv, build_dir(tmp_path, lock, wheel=False)))

    assert hash_of(found["click"]) == digest("click wheel")


def test_dependencies_are_the_installed_ones_each_requires_on_this_python(tmp_path: Path) -> None:
    document = document_of(*shop(tmp_path))

    edges = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    assert edges["pkg:pypi/flask@3.1.0"] == ["pkg:pypi/markupsafe@3.0.2"]  # colorama: Windows
    assert edges["pkg:pypi/shop@1.2.3"] == [
        "pkg:pypi/flask@3.1.0",
        "pkg:pypi/psycopg2@2.9.10",
        "pkg:pypi/toolbox@0.3.0?vcs_url=git%2Bhttps%3A%2F%2Fexample.org%2Ftoolbox.git%40"
        + "a" * 40,
    ]
    assert edges["pkg:pypi/gunicorn@23.0.0"] == ["pkg:pypi/packaging@24.2"]


def test_an_application_without_a_package_is_the_root_by_name_with_its_main_dependencies(
    tmp_path: Path,
) -> None:
    document = document_of(*shop(tmp_path, package_mode=False))

    root = document["metadata"]["component"]
    assert root == {"type": "application", "bom-ref": "project:shop", "name": "shop"}
    edges = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    assert edges["project:shop"] == ["pkg:pypi/flask@3.1.0", "pkg:pypi/psycopg2@2.9.10"]


def test_the_python_to_its_patch_release_and_the_base_image_by_digest(tmp_path: Path) -> None:
    at = "sha256:" + "b" * 64
    document = document_of(*shop(tmp_path), base_image="python:3.12-slim-bookworm", base_digest=at)

    others = {c["type"]: c for c in document["components"] if c["type"] != "library"}
    assert (others["platform"]["name"], others["platform"]["version"]) == ("cpython", "3.12.8")
    assert (others["container"]["name"], others["container"]["version"]) == ("python", at)
    plain = document_of(*shop(tmp_path / "again"))
    image = next(c for c in plain["components"] if c["type"] == "container")
    assert image["version"] == "3.12-slim-bookworm"


def test_the_sbom_is_valid_cyclonedx_1_6_by_the_strict_schema(tmp_path: Path) -> None:
    for mode, place in ((True, tmp_path / "a"), (False, tmp_path / "b")):
        text = sbom.text_of(document_of(*shop(place, package_mode=mode)))

        assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def test_the_same_image_gives_the_same_bytes_and_no_timestamp(tmp_path: Path) -> None:
    venv, build = shop(tmp_path)

    first, second = document_of(venv, build), document_of(venv, build)

    assert sbom.text_of(first) == sbom.text_of(second)
    assert "timestamp" not in first["metadata"]
    assert first["serialNumber"].startswith("urn:uuid:")
    installed(venv, "six", "1.17.0")
    assert document_of(venv, build)["serialNumber"] != first["serialNumber"]


def test_main_writes_the_file_where_the_image_keeps_it(tmp_path: Path) -> None:
    venv, build = shop(tmp_path)
    output = tmp_path / "usr" / "share" / "doc" / "quatrain" / "sbom.cdx.json"

    sbom.main(["--venv", str(venv), "--build", str(build), "--base-image", "python:3.12-slim",
               "--output", str(output)])  # fmt: skip

    assert sorted(by_name(json.loads(output.read_text(encoding="utf-8")))) == sorted(
        by_name(document_of(venv, build))
    )


def test_the_step_names_the_quatrain_that_wrote_it() -> None:
    assert __version__ == sbom.QUATRAIN_VERSION


@pytest.mark.parametrize(
    ("filename", "tags"),
    [
        ("a-1.0-py3-none-any.whl", {"py3-none-any"}),
        ("a-1.0-py2.py3-none-any.whl", {"py2-none-any", "py3-none-any"}),
        ("a-1.0-1-cp39-abi3-manylinux1_x86_64.manylinux2014_x86_64.whl",
         {"cp39-abi3-manylinux1_x86_64", "cp39-abi3-manylinux2014_x86_64"}),
    ],
)  # fmt: skip
def test_a_wheels_file_name_stands_for_its_expanded_tags(filename: str, tags: set[str]) -> None:
    assert sbom.wheel_tags(filename) == tags
