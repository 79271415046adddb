"""The SBOM attached to a pushed image as an OCI artifact, on a real registry (Distribution
2.8, Debian's docker-registry, which has no referrers API: the referrers tag is the way)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redirects
from engine_support import docker
from shipping import Registry

from quatrain import engines
from quatrain.building import sbom_push
from quatrain.errors import RegistryError

TESTBED = Path(
    os.environ.get("QUATRAIN_TESTBED_DIR") or Path.home() / ".cache" / "quatrain-testbed"
)
REGISTRY_BINARY = TESTBED / "registry" / "usr" / "bin" / "docker-registry"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry of this module's own on 127.0.0.1, removed afterwards."""
    if not REGISTRY_BINARY.is_file():
        pytest.fail(f"{REGISTRY_BINARY} is missing: run scripts/testbed.sh")
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n"
        "log: {level: warn}\n"
    )
    with (root / "registry.log").open("w") as log:
        server = subprocess.Popen(
            [str(REGISTRY_BINARY), "serve", str(config)], stdout=subprocess.DEVNULL, stderr=log
        )
    host = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{host}/v2/", timeout=2):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.terminate()
        pytest.fail(f"the registry did not answer on {host}: {(root / 'registry.log').read_text()}")
    yield host
    server.terminate()
    server.wait(timeout=10)


def pushed_image(engine: engines.Engine, registry: str, tmp_path: Path) -> str:
    """A one-file image, new to the registry, pushed; its reference by digest."""
    (tmp_path / "hello").write_text(uuid.uuid4().hex)
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY hello /hello\n")
    tag = f"{registry}/sbom-test:{uuid.uuid4().hex[:8]}"
    docker(engine, "build", "--tag", tag, str(tmp_path))
    try:
        docker(engine, "push", tag)
        digests = docker(engine, "image", "inspect", "--format", "{{json .RepoDigests}}", tag)
    finally:
        docker(engine, "image", "rm", tag, check=False)
    return str(json.loads(digests.stdout)[0])


def get(registry: str, path: str, accept: str) -> tuple[str, bytes]:
    request = urllib.request.Request(f"http://{registry}/v2/{path}", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


def manifest(registry: str, name: str, reference: str, accept: str) -> dict[str, Any]:
    content_type, body = get(registry, f"{name}/manifests/{reference}", accept)
    assert content_type == accept
    found: dict[str, Any] = json.loads(body)
    return found


def test_the_sbom_is_an_artifact_whose_subject_is_the_image_found_by_the_referrers_tag(
    engine: engines.Engine, registry: str, tmp_path: Path
) -> None:
    image = pushed_image(engine, registry, tmp_path)
    digest = image.rsplit("@", 1)[1]
    sbom = (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "run": "%s"}\n'
        % uuid.uuid4().hex.encode()
    )

    attached = sbom_push.attach(image, sbom, tmp_path / "no-docker-config")

    assert attached.referrers_tag == "sha256-" + digest.removeprefix("sha256:")
    index = manifest(registry, "sbom-test", attached.referrers_tag, sbom_push.OCI_INDEX)
    assert [(m["digest"], m["artifactType"]) for m in index["manifests"]] == [
        (attached.digest, "application/vnd.cyclonedx+json")
    ]
    artifact = manifest(registry, "sbom-test", attached.digest, sbom_push.OCI_MANIFEST)
    assert artifact["artifactType"] == "application/vnd.cyclonedx+json"
    assert artifact["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert artifact["subject"]["digest"] == digest
    _, subject = get(registry, f"sbom-test/manifests/{digest}", artifact["subject"]["mediaType"])
    assert len(subject) == artifact["subject"]["size"]
    (layer,) = artifact["layers"]
    assert get(registry, f"sbom-test/blobs/{layer['digest']}", "*/*")[1] == sbom


def test_attaching_again_and_another_sbom_keeps_one_index_entry_each(
    engine: engines.Engine, registry: str, tmp_path: Path
) -> None:
    image = pushed_image(engine, registry, tmp_path)
    first = sbom_push.attach(image, b'{"n": 1}\n', tmp_path)
    again = sbom_push.attach(image, b'{"n": 1}\n', tmp_path)
    other = sbom_push.attach(image, b'{"n": 2}\n', tmp_path)

    assert first == again
    assert first.referrers_tag is not None
    index = manifest(registry, "sbom-test", first.referrers_tag, sbom_push.OCI_INDEX)
    assert sorted(m["digest"] for m in index["manifests"]) == sorted([first.digest, other.digest])


def test_an_image_the_registry_does_not_hold_is_a_registry_error(registry: str) -> None:
    missing = f"{registry}/sbom-test@sha256:{'0' * 64}"

    with pytest.raises(RegistryError, match="refused to find the image"):
        sbom_push.attach(missing, b"{}", None)


def put_image(registry: Registry, name: str) -> str:
    """A one-config image put into `registry` by hand (no engine needed); its digest."""
    login = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
    auth = {"Authorization": f"Basic {login}"}
    config = json.dumps({"run": uuid.uuid4().hex}).encode()
    config_digest = f"sha256:{hashlib.sha256(config).hexdigest()}"
    base = f"http://{registry.host}/v2/{name}"
    start = urllib.request.Request(f"{base}/blobs/uploads/", data=b"", method="POST", headers=auth)
    with urllib.request.urlopen(start, timeout=10) as started:
        location = urllib.parse.urljoin(base, started.headers["Location"])
    joiner = "&" if "?" in location else "?"
    upload = urllib.request.Request(
        f"{location}{joiner}digest={config_digest}", data=config, method="PUT",
        headers={**auth, "Content-Type": "application/octet-stream"},
    )  # fmt: skip
    urllib.request.urlopen(upload, timeout=10).close()
    image = json.dumps({
        "schemaVersion": 2, "mediaType": sbom_push.OCI_MANIFEST, "layers": [],
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config)},
    }).encode()  # fmt: skip
    digest = f"sha256:{hashlib.sha256(image).hexdigest()}"
    put = urllib.request.Request(
        f"{base}/manifests/{digest}", data=image, method="PUT",
        headers={**auth, "Content-Type": sbom_push.OCI_MANIFEST},
    )  # fmt: skip
    urllib.request.urlopen(put, timeout=10).close()
    return digest


def test_a_registry_that_redirects_to_another_host_never_hands_it_the_login(
    auth_registry: Registry, tmp_path: Path
) -> None:
    username, password = str(auth_registry.username), str(auth_registry.password)
    login = base64.b64encode(f"{username}:{password}".encode()).decode()
    digest = put_image(auth_registry, "redirected/shop")
    sbom = b'{"bomFormat": "CycloneDX", "run": "%s"}\n' % uuid.uuid4().hex.encode()

    with redirects.redirecting(auth_registry.host, (username, password)) as hosts:
        (tmp_path / "config.json").write_text(json.dumps({"auths": {hosts.front: {"auth": login}}}))
        attached = sbom_push.attach(f"{hosts.front}/redirected/shop@{digest}", sbom, tmp_path)

    # The attachment went through the redirects: the subject, the blobs' checks and the
    # referrers tag were read at the second host, and the artifact is in the registry.
    methods = {line.split("/", 1)[0].strip() for line in hosts.redirected}
    assert {"GET", "HEAD", "PUT"} <= methods, hosts.redirected
    assert len(hosts.at_second) == len(hosts.redirected)
    assert any(h.get("Authorization") == f"Basic {login}" for h in hosts.at_front)
    index = json.loads(
        auth_get(auth_registry, f"redirected/shop/manifests/{attached.referrers_tag}")
    )
    assert [m["digest"] for m in index["manifests"]] == [attached.digest]
    artifact = json.loads(auth_get(auth_registry, f"redirected/shop/manifests/{attached.digest}"))
    assert (
        auth_get(auth_registry, f"redirected/shop/blobs/{artifact['layers'][0]['digest']}") == sbom
    )
    # ... and the second host never got the login, in any header, in any form.
    leaked = [
        headers
        for headers in hosts.at_second
        if "Authorization" in headers
        or any(secret in json.dumps(headers) for secret in (password, login))
    ]
    assert leaked == []


def auth_get(registry: Registry, path: str) -> bytes:
    login = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
    accept = f"{sbom_push.OCI_MANIFEST}, {sbom_push.OCI_INDEX}, */*"
    request = urllib.request.Request(
        f"http://{registry.host}/v2/{path}",
        headers={"Authorization": f"Basic {login}", "Accept": accept},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())
