"""collectstatic with django-npm reads node_modules: npm installs the project's package-lock.json
in a stage of its own, mounted for that step only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quatrain.detectors.detect import detect
from quatrain.dockerfile.render import DOCKERFILE
from quatrain.pipeline import make_plan
from quatrain.reading.project import load_project
from quatrain.settings.options import Options
from unit.conftest import lock_text, locked, write_project

SETTINGS = (
    'INSTALLED_APPS = ["django.contrib.staticfiles"]\nSTATIC_ROOT = "/opt/static"\n'
    'STATICFILES_FINDERS = ["npm.finders.NpmFinder"]\nWSGI_APPLICATION = "web.wsgi.application"\n'
)
MANAGE = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")\n'
NPM_LOCK = json.dumps({"name": "site", "lockfileVersion": 3, "packages": {}})


def _site(root: Path, *, npm_files: tuple[str, ...], django_npm: bool, site: str = "") -> Path:
    prefix = f"{site}/" if site else ""
    files = {
        "pyproject.toml": "[tool.poetry]\npackage-mode = false\n"
        '[tool.poetry.dependencies]\npython = "^3.11"\ndjango = "*"\ngunicorn = "*"\n'
        + ('django-npm = "*"\n' if django_npm else ""),
        f"{prefix}manage.py": MANAGE,
        f"{prefix}web/__init__.py": "",
        f"{prefix}web/settings.py": SETTINGS,
        f"{prefix}web/wsgi.py": "application = None\n",
        **{name: "{}" if name == "package.json" else NPM_LOCK for name in npm_files},
    }
    packages = [locked("django"), locked("gunicorn", "23.0.0")]
    if django_npm:
        packages.append(locked("django-npm", "1.0.0"))
    return write_project(root, files, lock=lock_text(*packages))


BOTH = ("package.json", "package-lock.json")
MOUNT = "    --mount=type=bind,from=assets,source=/assets/node_modules,target=/app/node_modules \\"


@pytest.mark.parametrize(
    ("npm_files", "django_npm", "expected"),
    [
        (BOTH, True, True),
        (BOTH, False, False),  # a package.json of the front end's own tooling
        (("package.json",), True, False),  # no lock: npm would resolve at build time
    ],
)
def test_node_packages_only_with_django_npm_locked_and_an_npm_lock_at_the_root(
    tmp_path: Path, npm_files: tuple[str, ...], django_npm: bool, expected: bool
) -> None:
    root = _site(tmp_path, npm_files=npm_files, django_npm=django_npm)

    assert detect(load_project(root), Options()).node_packages is expected


def test_a_site_one_directory_down_reads_node_modules_from_the_projects_root(
    tmp_path: Path,
) -> None:
    root = _site(tmp_path, npm_files=BOTH, django_npm=True, site="shop")

    spec = detect(load_project(root), Options())

    assert spec.production_steps == ("cd shop && python -m django collectstatic --noinput",)
    assert spec.node_packages


def test_npm_ci_runs_in_the_assets_stage_and_node_modules_is_mounted_for_collectstatic_only(
    tmp_path: Path,
) -> None:
    root = _site(tmp_path, npm_files=BOTH, django_npm=True)

    dockerfile = make_plan(root, env={}, cli={}).files[DOCKERFILE]

    assets = dockerfile[dockerfile.index(" AS assets\n") : dockerfile.index(" AS production\n")]
    assert (
        "apt-get update \\\n    && apt-get install --yes --no-install-recommends nodejs npm\n"
        in (assets)
    )
    assert "COPY package.json package-lock.json ./\n" in assets
    assert (
        "RUN --mount=type=cache,target=/root/.npm \\\n"
        "    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \\\n"
        "    npm ci --omit=dev --no-audit --no-fund\n"
    ) in assets
    production = dockerfile[dockerfile.index(" AS production\n") :]
    assert (
        "RUN --mount=type=secret,id=build-env,target=/run/secrets/build-env,required=false \\\n"
        f"{MOUNT}\n"
        "    if [ -f /run/secrets/build-env ]"
    ) in production
    assert [line for line in production.splitlines() if "node_modules" in line] == [MOUNT]


def test_without_django_npm_there_is_no_assets_stage(tmp_path: Path) -> None:
    root = _site(tmp_path, npm_files=BOTH, django_npm=False)

    assert " AS assets" not in make_plan(root, env={}, cli={}).files[DOCKERFILE]
