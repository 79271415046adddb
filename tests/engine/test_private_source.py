"""A private package source behind basic auth: credentials reach the build as BuildKit secrets
and nowhere else. Every layer, the history and the config of both images are scanned."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import uuid
from pathlib import Path

from engine_support import PROJECTS, PrivateIndex, Quatrain, docker

from quatrain import engines

SOURCE = "private-repo"


def private_copy(tmp_path: Path, private_index: PrivateIndex) -> Path:
    """flask-factory whose only source is the private index, named like a company's would be
    and named in private-sources, as a project with a private source says."""
    project = tmp_path / "private-app"
    shutil.copytree(PROJECTS / "flask-factory", project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        .replace("@INDEX_URL@", private_index.url)
        .replace('name = "testbed"', f'name = "{SOURCE}"')
        # BuildKit's cache never sees a secret: a project new to it makes every step that
        # reads the credentials run again, with this run's.
        .replace('description = "', f'description = "Run {uuid.uuid4().hex}: ')
        + f'\n[tool.quatrain]\nprivate-sources = ["{SOURCE}"]\n'
    )
    locked = subprocess.run(
        [sys.executable, "-m", "poetry", "lock", "--no-interaction"],
        cwd=project, capture_output=True, text=True, check=False,
        env={**os.environ, **private_index.credentials(SOURCE)},
    )  # fmt: skip
    assert locked.returncode == 0, locked.stdout + locked.stderr
    return project


# The stand-ins every image here starts from (scripts/testbed.sh); they were built before any
# test ran, so no secret of a test can be in their layers, and the scan skips them.
STAND_INS = ("python:3.11-slim-bookworm", "python:3.11-bookworm")


def occurrences(engine: engines.Engine, image: str, secret: bytes) -> list[str]:
    """Where the secret appears: every file of every layer the image adds to its stand-in base,
    the history, the config."""
    base = stand_in_layers(engine)
    found = []
    with tempfile.TemporaryFile() as saved:
        subprocess.run([engine.binary, "save", image], stdout=saved, check=True)
        saved.seek(0)
        with tarfile.open(fileobj=saved) as archive:
            (manifest,) = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
            config = archive.extractfile(manifest["Config"]).read()  # type: ignore[union-attr]
            diff_ids = dict(
                zip(manifest["Layers"], json.loads(config)["rootfs"]["diff_ids"], strict=True)
            )
            for member in archive.getmembers():
                if diff_ids.get(member.name) in base:
                    continue
                data = archive.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
                if secret in data:
                    found.append(f"saved image: {member.name}")
                if member.name.endswith(".tar") and data:
                    with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                        for entry in layer.getmembers():
                            content = layer.extractfile(entry).read() if entry.isfile() else b""  # type: ignore[union-attr]
                            if secret in content or secret in entry.name.encode():
                                found.append(f"{member.name}: {entry.name}")
    history = docker(engine, "history", "--no-trunc", image).stdout
    config_text = docker(engine, "image", "inspect", image).stdout
    found += [where for where, text in (("history", history), ("config", config_text))
              if secret.decode() in text]  # fmt: skip
    return found


def stand_in_layers(engine: engines.Engine) -> set[str]:
    inspected = docker(engine, "image", "inspect", "--format", "{{json .RootFS.Layers}}",
                       *STAND_INS).stdout  # fmt: skip
    return {layer for line in inspected.splitlines() for layer in json.loads(line)}


def test_a_private_source_builds_both_images_with_a_password_to_quote_and_leaves_no_secret(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path,
    private_index: PrivateIndex, image_tag: str,
) -> None:  # fmt: skip
    project = private_copy(tmp_path, private_index)
    rendered = quatrain("init", "--stdout", str(project),
                        extra_env=private_index.credentials(SOURCE)).stdout  # fmt: skip
    assert (
        "--mount=type=secret,id=poetry-auth,target=/root/.config/pypoetry/auth.toml,required=true"
        in rendered
    )
    assert "--mount=type=secret,id=netrc,target=/root/.netrc,required=true" in rendered
    assert private_index.password not in rendered
    # Everyone commits the same Dockerfile: it depends on the project, not on who has the keys.
    assert quatrain("init", "--stdout", str(project)).stdout == rendered

    builds_and_leaves_no_secret(quatrain, engine, project, private_index, f"{image_tag}:private")


def builds_and_leaves_no_secret(
    quatrain: Quatrain, engine: engines.Engine, project: Path,
    private_index: PrivateIndex, tag_stem: str,
) -> None:  # fmt: skip
    """Both targets build with the index's credentials, which end up in no image. The scan
    looks for the password's last word, which no quoting (JSON's in the config) changes."""
    secret = private_index.password.split()[-1]
    for target in ("production", "development"):
        tag = f"{tag_stem}-{target}"
        built = quatrain("build", str(project), "--target", target, "--tag", tag,
                         extra_env=private_index.credentials(SOURCE))  # fmt: skip
        assert secret not in built.stdout + built.stderr
        assert occurrences(engine, tag, secret.encode()) == []
    checked = docker(engine, "run", "--rm", "--network", "none", "--entrypoint", "python",
                     f"{tag_stem}-production", "-c", "import flask, factory_app")  # fmt: skip
    assert checked.returncode == 0


def test_the_scan_finds_a_secret_that_is_in_a_layer(
    engine: engines.Engine, tmp_path: Path, image_tag: str
) -> None:
    """The scan itself can fail: a secret written into a layer is found."""
    secret = b"leaked-on-purpose-7f3a"
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11-slim-bookworm\nRUN echo leaked-on-purpose-7f3a > /leak\n"
    )
    tag = f"{image_tag}:leak"
    subprocess.run(
        [engine.binary, "build", "--network", "none", "--tag", tag, str(tmp_path)],
        env={"DOCKER_BUILDKIT": "1", **engine.env}, capture_output=True, check=True,
    )  # fmt: skip
    found = occurrences(engine, tag, secret)
    assert any(where.endswith(": leak") for where in found), found
    assert "history" in found


def test_a_missing_credential_fails_before_the_build_and_names_what_to_set(
    quatrain: Quatrain, tmp_path: Path, private_index: PrivateIndex
) -> None:
    project = private_copy(tmp_path, private_index)
    result = quatrain("build", str(project), check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "quatrain: error: The private source(s) private-repo need credentials, and none were "
        "found. Set POETRY_HTTP_BASIC_PRIVATE_REPO_USERNAME and "
        "POETRY_HTTP_BASIC_PRIVATE_REPO_PASSWORD (or run `poetry config http-basic.private-repo "
        "USER PASSWORD`). They reach the build as BuildKit secrets only."
    )
    # Stopped before the engine built anything (its version checks are echoed, not a build).
    echoed = [line for line in result.stderr.splitlines() if line.startswith("+ ")]
    assert not [line for line in echoed if " build " in f"{line} "], echoed


def test_an_extra_ca_bundle_is_trusted_during_the_build_and_kept_only_when_asked(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, flask_project: Path,
    image_tag: str,
) -> None:  # fmt: skip
    # The machine's own bundle (it must still reach PyPI for Poetry) plus a unique marker line,
    # which PEM readers skip and the layer scan looks for.
    marker = f"# quatrain-test-ca-{uuid.uuid4().hex}"
    bundle = tmp_path / "corporate-ca.pem"
    host_bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    bundle.write_text((host_bundle.read_text() if host_bundle.exists() else "") + marker + "\n")

    dropped = f"{image_tag}:ca-dropped"
    quatrain("build", str(flask_project), "--ca-bundle", str(bundle), "--tag", dropped)
    assert occurrences(engine, dropped, marker.encode()) == []

    kept = f"{image_tag}:ca-kept"
    quatrain("build", str(flask_project), "--ca-bundle", str(bundle),
             "--keep-ca-bundle", "true", "--tag", kept)  # fmt: skip
    where = occurrences(engine, kept, marker.encode())
    assert any(w.endswith("usr/local/share/ca-certificates/quatrain-extra.crt") for w in where), (
        where
    )


def test_a_ca_bundle_that_is_not_a_file_is_a_configuration_error(
    quatrain: Quatrain, flask_project: Path
) -> None:
    result = quatrain("build", str(flask_project), "--ca-bundle", "/nonexistent.pem", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "quatrain: error: ca-bundle '/nonexistent.pem' is not a file. "
        "Point it at a PEM bundle on this machine."
    )
