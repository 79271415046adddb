"""The documentation under docs/ builds as a site with mkdocs-material in strict mode, so a
broken link or a page left out of the navigation fails the tests; the README stays a screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
README_MOST_LINES = 200


def build_site(source: Path, site: Path) -> subprocess.CompletedProcess[str]:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    if mkdocs is None:
        pytest.fail("mkdocs is missing: install the test extra (mkdocs-material)")
    return subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(site)],
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def test_the_docs_build_as_a_site_in_strict_mode(tmp_path: Path) -> None:
    result = build_site(ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "real-projects" / "index.html").is_file()


def test_a_broken_link_in_the_docs_fails_the_build(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    index = tmp_path / "docs" / "index.md"
    index.write_text(index.read_text() + "\nSee [a page that is not there](missing.md).\n")
    result = build_site(tmp_path, tmp_path / "site")
    assert result.returncode != 0
    assert "missing.md" in result.stderr


EXAMPLE_MARK = "<!-- example-dockerfile"


def example_dockerfile(readme: str) -> str:
    """The README's copy of the example's Dockerfile: the code block after the mark."""
    after = readme[readme.index(EXAMPLE_MARK) :]
    start = after.index("```dockerfile\n") + len("```dockerfile\n")
    return after[start : after.index("```", start)]


def test_the_readme_fits_on_a_screen_and_links_only_to_pages_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # The example's Dockerfile, shown in full, is the page the README shows; the rest is a screen.
    prose = readme.replace(example_dockerfile(readme), "")
    assert len(prose.splitlines()) <= README_MOST_LINES
    for line in readme.splitlines():
        for target in line.split("](docs/")[1:]:
            assert (ROOT / "docs" / target.split(")")[0]).is_file(), line


def test_the_readmes_example_dockerfile_is_what_init_prints_for_the_example() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    golden = ROOT / "tests" / "golden" / "coach-planner.Dockerfile"

    # test_render holds the golden file to `quatrain init --stdout examples/flask-app`.
    assert example_dockerfile(readme) == golden.read_text(encoding="utf-8")
