"""Locks whose packages do not say their groups (lock 2.0 from Poetry 1.5 to 1.8): production
installs what the main dependencies reach, and the development tools decide nothing."""

from __future__ import annotations

from pathlib import Path

from quatrain.pipeline import make_plan
from quatrain.reading.lock import load_lock
from quatrain.reading.project import load_project
from quatrain.reading.wheels import runtime_packages
from unit.conftest import lock_text, write_project

PYPROJECT = """
    [tool.poetry]
    name = "shop"
    version = "0.1.0"
    description = ""
    authors = []

    [tool.poetry.dependencies]
    python = "^3.11"
    flask = "^3.0"
    gunicorn = "^23.0"

    [tool.poetry.group.dev.dependencies]
    pre-commit = "^3.0"

    [build-system]
    requires = ["poetry-core"]
    build-backend = "poetry.core.masonry.api"
"""


def entry(name: str, version: str, wheels: list[str], requires: dict[str, str]) -> str:
    """A lock 2.0 `[[package]]` as Poetry 1.8 writes it: no category, no groups."""
    stem = f"{name.replace('-', '_')}-{version}"
    files = [f'{{file = "{stem}-{tags}.whl", hash = "sha256:{"1" * 64}"}}' for tags in wheels]
    files.append(f'{{file = "{stem}.tar.gz", hash = "sha256:{"0" * 64}"}}')
    dependencies = "".join(f'{n} = "{v}"\n' for n, v in requires.items())
    return (
        f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = ""\n'
        f'optional = false\npython-versions = ">=3.9"\nfiles = [\n'
        + "".join(f"    {f},\n" for f in files)
        + "]\n"
        + (f"\n[package.dependencies]\n{dependencies}" if requires else "")
    )


def cp(*minors: int) -> list[str]:
    return [f"cp3{m}-cp3{m}-manylinux_2_17_x86_64" for m in minors]


# frogmouth's shape: PyYAML 6.0.1, which has no cp312 wheel, comes only with pre-commit.
LOCK = lock_text(
    entry("flask", "3.0.3", ["py3-none-any"], {"markupsafe": ">=2.1.1"}),
    entry("gunicorn", "23.0.0", ["py3-none-any"], {"packaging": "*"}),
    entry("markupsafe", "2.1.5", cp(11, 12, 13), {}),
    entry("packaging", "24.1", ["py3-none-any"], {}),
    entry("pre-commit", "3.7.1", ["py2.py3-none-any"], {"pyyaml": ">=5.1"}),
    entry("pyyaml", "6.0.1", cp(11), {}),
    lock_version="2.0",
    poetry="1.8.3",
)


def shop(tmp_path: Path) -> Path:
    files = {
        "pyproject.toml": PYPROJECT,
        "shop/__init__.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    }
    return write_project(tmp_path, files, lock=LOCK)


def test_a_lock_without_categories_or_groups_says_so(tmp_path: Path) -> None:
    lock = load_lock(shop(tmp_path) / "poetry.lock")

    assert lock is not None
    assert lock.groups_known is False
    assert {p.groups for p in lock.packages} == {("main",)}


def test_production_installs_what_the_main_dependencies_reach(tmp_path: Path) -> None:
    project = load_project(shop(tmp_path))
    assert project.lock is not None

    runtime = runtime_packages(project.lock, requested=project.requested())

    assert [p.name for p in runtime] == ["flask", "gunicorn", "markupsafe", "packaging"]


def test_a_chosen_group_brings_its_dependencies(tmp_path: Path) -> None:
    project = load_project(shop(tmp_path))
    assert project.lock is not None
    assert project.group_dependencies == {"dev": ("pre-commit",)}

    runtime = runtime_packages(project.lock, groups=["dev"], requested=project.requested(["dev"]))

    assert {"pre-commit", "pyyaml"} <= {p.name for p in runtime}


def test_a_development_tool_without_a_wheel_does_not_bound_the_python(tmp_path: Path) -> None:
    """Poetry 1.8.3 wrote the lock before Python 3.14: 3.13, which markupsafe has a wheel for.
    PyYAML's missing cp312 wheel used to make it 3.11."""
    the_plan = make_plan(shop(tmp_path), env={}, cli={})

    assert the_plan.base_images.python_version == "3.13"
    assert the_plan.base_images.source_builds == ()
    assert '"pkg:pypi/pyyaml@6.0.1"' not in the_plan.files["Dockerfile"]  # nor in the SBOM
