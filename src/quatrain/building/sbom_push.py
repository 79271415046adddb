"""The SBOM attached in the registry to the image it describes: an OCI artifact that refers to it.

OCI distribution 1.1: an image manifest with `artifactType: application/vnd.cyclonedx+json`,
the empty config (`application/vnd.oci.empty.v1+json`, `{}`), the SBOM as its one layer and
`subject` = the image's manifest. A registry with the referrers API indexes it by `subject`;
for one without (Distribution 2.8, Debian's docker-registry), the spec's fallback is the
referrers tag `sha256-<hex of the image's digest>`: an image index of every referrer, read,
extended and pushed again.

HTTP through oras-py's registry client (registry_client.py says what quatrain adds to it:
the registry's login goes to that registry and its token server alone). Credentials are the
engine's own login: `auths` in `$DOCKER_CONFIG/config.json` (or ~/.docker/config.json), read
here, as a Bearer token when the registry asks for one, basic otherwise. Credential helpers
(`credsStore`, `credHelpers`) are not supported yet: a registry that needs them is an error
saying so. Plain HTTP only for loopback registries (127.0.0.1, localhost, ::1), as Docker
allows them without configuration.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from quatrain.building.registry import ImageReference, parse_reference
from quatrain.dockerfile.sbom import MEDIA_TYPE
from quatrain.errors import RegistryError

if TYPE_CHECKING:
    from quatrain.building.registry_client import Client, Login

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY = b"{}"
MANIFEST_TYPES = (
    OCI_MANIFEST,
    OCI_INDEX,
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
DOCKER_HUB_LOGIN = "https://index.docker.io/v1/"


@dataclass(frozen=True, kw_only=True)
class Attached:
    digest: str  # the artifact manifest's
    referrers_tag: str | None  # the fallback tag written, None when the registry has the API


def attach(reference: str, sbom: bytes, docker_config_dir: Path | None = None) -> Attached:
    """Push `sbom` as an artifact whose subject is the pushed image `HOST/NAME@sha256:...`."""
    found = parse_reference(reference, what="a pushed image")
    if found.digest is None:
        msg = (
            f"{reference!r} is not a pushed image by digest (HOST[:PORT]/NAME@sha256:<hex>). "
            "Attach the SBOM after the push, to the digest the push reported."
        )
        raise RegistryError(msg)
    registry = _registry(found, docker_config_dir)
    subject = registry.descriptor(found.digest)
    registry.put_blob(EMPTY)
    registry.put_blob(sbom)
    manifest = _canonical(artifact_manifest(sbom, subject))
    digest = registry.put_manifest(manifest, OCI_MANIFEST, _digest(manifest))
    if registry.has_referrers_api(found.digest):
        return Attached(digest=digest, referrers_tag=None)
    tag = referrers_tag(found.digest)
    index = registry.get_index(tag) or {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    entry = {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": len(manifest),
        "artifactType": MEDIA_TYPE,
    }
    others = [m for m in index.get("manifests", []) if m.get("digest") != digest]
    index["manifests"] = [*others, entry]
    registry.put_manifest(_canonical(index), OCI_INDEX, tag)
    return Attached(digest=digest, referrers_tag=tag)


def pushed_digest(reference: str, docker_config_dir: Path | None = None) -> str:
    """The digest of the manifest a pushed `HOST/NAME:TAG` names in its registry (the subject
    an SBOM is attached to: what a pull of that tag gets)."""
    found = parse_reference(reference, what="a pushed image")
    if found.tag is None:
        msg = f"{reference!r} is not an image in a registry by tag (HOST[:PORT]/NAME:TAG)."
        raise RegistryError(msg)
    registry = _registry(found, docker_config_dir)
    answer = registry.client.call("GET", f"/manifests/{found.tag}", accept=MANIFEST_TYPES)
    if answer.status != 200:
        registry.fail(answer.status, answer.body, f"find the pushed image {reference}")
    return _digest(answer.body)


def _registry(reference: ImageReference, docker_config_dir: Path | None) -> _Registry:
    """The registry API that holds the reference, with the engine's login for its domain."""
    # Imported here: requests and oras-py cost every quatrain start some 150 ms, and only a
    # push with an SBOM to attach needs them.
    from quatrain.building import registry_client

    login = _login(reference.domain, docker_config_dir)
    return _Registry(registry_client.Client(reference.api_host, reference.path, login))


def artifact_manifest(sbom: bytes, subject: Mapping[str, Any]) -> dict[str, Any]:
    """The OCI image manifest of the SBOM artifact, referring to `subject`."""
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": MEDIA_TYPE,
        "config": {
            "mediaType": EMPTY_MEDIA_TYPE,
            "digest": _digest(EMPTY),
            "size": len(EMPTY),
            "data": base64.b64encode(EMPTY).decode(),
        },
        "layers": [
            {
                "mediaType": MEDIA_TYPE,
                "digest": _digest(sbom),
                "size": len(sbom),
                "annotations": {"org.opencontainers.image.title": "sbom.cdx.json"},
            }
        ],
        "subject": dict(subject),
    }


def referrers_tag(digest: str) -> str:
    """The referrers tag schema: `<alg>-<ref>`, the algorithm truncated to 32 characters and
    the encoded digest to 64, as the spec says (a sha256 digest keeps all of its 64)."""
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm[:32]}-{encoded[:64]}"


def _digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _login(host: str, config_dir: Path | None) -> Login:
    """The engine's login for `host`, from the docker config's `auths`: read here, not by
    oras-py, which also reads ~/.docker whatever DOCKER_CONFIG says and runs helpers."""
    from quatrain.building.registry_client import Login

    path = (config_dir or Path.home() / ".docker") / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Login()
    except (OSError, ValueError) as error:
        msg = f"Cannot read the engine's login from {path}: {error}. Fix or remove the file."
        raise RegistryError(msg) from error
    # Docker keeps Docker Hub's login under its old index address.
    keys = (host, DOCKER_HUB_LOGIN) if host == "docker.io" else (host,)
    helper = (config.get("credHelpers") or {}).get(host) or config.get("credsStore")
    auths = config.get("auths") or {}
    entry: Any = next((auths[k] for k in keys if auths.get(k)), {})
    if isinstance(entry, dict) and entry.get("auth"):
        user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
        return Login(username=user, password=password)
    return Login(helper=helper if isinstance(helper, str) else None)


@dataclass(frozen=True)
class _Registry:
    """The requests of the attachment, in the terms of the distribution API."""

    client: Client

    def descriptor(self, digest: str) -> dict[str, Any]:
        answer = self.client.call("GET", f"/manifests/{digest}", accept=MANIFEST_TYPES)
        if answer.status != 200:
            self.fail(answer.status, answer.body, f"find the image {digest}")
        if _digest(answer.body) != digest:
            msg = f"{self.client.host} answered {digest} with a manifest of another digest."
            raise RegistryError(msg)
        media_type = answer.headers.get("content-type", "").split(";")[0]
        return {"mediaType": media_type, "digest": digest, "size": len(answer.body)}

    def put_blob(self, data: bytes) -> None:
        """oras-py's upload: HEAD (done when the registry has it), POST, PUT to its Location.
        It reads the blob from a file."""
        layer = {
            "mediaType": "application/octet-stream",
            "digest": _digest(data),
            "size": len(data),
        }
        with tempfile.TemporaryDirectory(prefix="quatrain-blob-") as directory:
            path = Path(directory) / "blob"
            path.write_bytes(data)
            try:
                response = self.client.upload_blob(str(path), self.client.container, layer)
            except ValueError as error:  # oras-py's word for a POST that opened no upload
                msg = (
                    f"The registry {self.client.host} did not open an upload for the blob "
                    f"{layer['digest']} ({error}). Check that the login may push there."
                )
                raise RegistryError(msg) from error
        if response.status_code not in (200, 201):
            self.fail(response.status_code, response.content, f"upload the blob {layer['digest']}")

    def put_manifest(self, manifest: bytes, media_type: str, reference: str) -> str:
        # The bytes as made here (oras-py's upload_manifest would serialise a dict again, and
        # the index entry names this document's digest and size).
        answer = self.client.call(
            "PUT", f"/manifests/{reference}", data=manifest, content_type=media_type
        )
        if answer.status != 201:
            self.fail(answer.status, answer.body, f"push the manifest {reference}")
        return answer.headers.get("docker-content-digest") or _digest(manifest)

    def has_referrers_api(self, digest: str) -> bool:
        answer = self.client.call("GET", f"/referrers/{digest}", accept=(OCI_INDEX,))
        return answer.status == 200 and answer.headers.get("content-type", "").startswith(OCI_INDEX)

    def get_index(self, tag: str) -> dict[str, Any] | None:
        answer = self.client.call("GET", f"/manifests/{tag}", accept=(OCI_INDEX,))
        if answer.status == 404:
            return None
        if answer.status != 200:
            self.fail(answer.status, answer.body, f"read the referrers tag {tag}")
        index: dict[str, Any] = json.loads(answer.body)
        return index

    def fail(self, status: int, body: bytes, action: str) -> NoReturn:
        detail = body.decode("utf-8", errors="replace")[:300]
        hint = " Log in with `docker login`." if status in (401, 403) else ""
        msg = (
            f"The registry {self.client.host} refused to {action} (HTTP {status}: {detail}).{hint}"
        )
        raise RegistryError(msg)
