"""The SBOM attached in the registry to the image it describes: an OCI artifact that refers to it.

OCI distribution 1.1: an image manifest with `artifactType: application/vnd.cyclonedx+json`,
the empty config (`application/vnd.oci.empty.v1+json`, `{}`), the SBOM as its one layer and
`subject` = the image's manifest. A registry with the referrers API indexes it by `subject`;
for one without (Distribution 2.8, Debian's docker-registry), the spec's fallback is the
referrers tag `sha256-<hex of the image's digest>`: an image index of every referrer, read,
extended and pushed again.

HTTP through the standard library. Credentials are the engine's own login: `auths` in
`$DOCKER_CONFIG/config.json` (or ~/.docker/config.json), a Bearer token when the registry
asks for one, basic otherwise. Credential helpers (`credsStore`, `credHelpers`) are not
supported yet: a registry that needs them is an error saying so. Plain HTTP only for loopback
registries (127.0.0.1, localhost, ::1), as Docker allows them without configuration.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, NoReturn

from quatrain.building.registry import ImageReference, is_loopback, parse_reference
from quatrain.dockerfile.sbom import MEDIA_TYPE
from quatrain.errors import RegistryError

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
TIMEOUT_SECONDS = 30
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
    status, _, body = registry._request("GET", f"/manifests/{found.tag}", accept=MANIFEST_TYPES)
    if status != 200:
        registry._fail(status, body, f"find the pushed image {reference}")
    return _digest(body)


def _registry(reference: ImageReference, docker_config_dir: Path | None) -> _Registry:
    """The registry API that holds the reference, with the engine's login for its domain."""
    return _Registry(
        host=reference.api_host,
        name=reference.path,
        auth=_login(reference.domain, docker_config_dir),
    )


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


def _lower(headers: Message) -> dict[str, str]:
    """Header names in lower case: HTTP's are case-insensitive, and Go's server sends
    `Www-Authenticate` where the RFC writes `WWW-Authenticate`."""
    return {name.lower(): value for name, value in headers.items()}


def _digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class _Login:
    username: str = ""
    password: str = ""
    helper: str | None = None  # a credential helper the config names, which we do not run


def _login(host: str, config_dir: Path | None) -> _Login:
    """The engine's login for `host`, from the docker config's `auths`."""
    path = (config_dir or Path.home() / ".docker") / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _Login()
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
        return _Login(username=user, password=password)
    return _Login(helper=helper if isinstance(helper, str) else None)


@dataclass
class _Registry:
    host: str
    name: str
    auth: _Login
    token: str | None = None
    basic: bool = False
    _tried: set[str] = field(default_factory=set)

    @property
    def base(self) -> str:
        scheme = "http" if is_loopback(self.host) else "https"
        return f"{scheme}://{self.host}/v2/{self.name}"

    def descriptor(self, digest: str) -> dict[str, Any]:
        status, headers, body = self._request("GET", f"/manifests/{digest}", accept=MANIFEST_TYPES)
        if status != 200:
            self._fail(status, body, f"find the image {digest}")
        if _digest(body) != digest:
            msg = f"{self.host} answered {digest} with a manifest of another digest."
            raise RegistryError(msg)
        media_type = headers.get("content-type", "").split(";")[0]
        return {"mediaType": media_type, "digest": digest, "size": len(body)}

    def put_blob(self, data: bytes) -> None:
        digest = _digest(data)
        if self._request("HEAD", f"/blobs/{digest}")[0] == 200:
            return
        status, headers, body = self._request("POST", "/blobs/uploads/", data=b"")
        if status != 202:
            self._fail(status, body, "start a blob upload")
        location = urllib.parse.urljoin(self.base + "/", headers.get("location", ""))
        joiner = "&" if "?" in location else "?"
        url = f"{location}{joiner}digest={urllib.parse.quote(digest)}"
        # The content type matters: Distribution reads the digest with Go's FormValue, which
        # would consume a form-typed body (urllib's default type for data) as the form.
        status, _, body = self._request(
            "PUT", url, data=data, content_type="application/octet-stream", absolute=True
        )
        if status != 201:
            self._fail(status, body, f"upload the blob {digest}")

    def put_manifest(self, manifest: bytes, media_type: str, reference: str) -> str:
        status, headers, body = self._request(
            "PUT", f"/manifests/{reference}", data=manifest, content_type=media_type
        )
        if status != 201:
            self._fail(status, body, f"push the manifest {reference}")
        return headers.get("docker-content-digest") or _digest(manifest)

    def has_referrers_api(self, digest: str) -> bool:
        status, headers, _ = self._request("GET", f"/referrers/{digest}", accept=(OCI_INDEX,))
        return status == 200 and headers.get("content-type", "").startswith(OCI_INDEX)

    def get_index(self, tag: str) -> dict[str, Any] | None:
        status, _, body = self._request("GET", f"/manifests/{tag}", accept=(OCI_INDEX,))
        if status == 404:
            return None
        if status != 200:
            self._fail(status, body, f"read the referrers tag {tag}")
        index: dict[str, Any] = json.loads(body)
        return index

    def _request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        accept: tuple[str, ...] = (),
        content_type: str | None = None,
        absolute: bool = False,
    ) -> tuple[int, Mapping[str, str], bytes]:
        url = path if absolute else self.base + path
        for _ in range(2):  # once more after a 401 that said how to authenticate
            request = urllib.request.Request(url, data=data, method=method)
            if accept:
                request.add_header("Accept", ", ".join(accept))
            if content_type:
                request.add_header("Content-Type", content_type)
            # Unredirected: urllib copies a request's headers into the request a redirect
            # makes, wherever it leads; a registry's credentials go to that registry alone.
            if self.token:
                request.add_unredirected_header("Authorization", f"Bearer {self.token}")
            elif self.basic:
                request.add_unredirected_header("Authorization", f"Basic {self._basic()}")
            status, headers, body = self._send(request)
            if status != 401 or not self._authenticate(headers.get("www-authenticate", "")):
                return status, headers, body
        return status, headers, body

    def _send(self, request: urllib.request.Request) -> tuple[int, Mapping[str, str], bytes]:
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, _lower(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, _lower(error.headers), error.read()
        except (urllib.error.URLError, OSError) as error:
            msg = f"Cannot reach the registry {self.host}: {error}. Check that it is running."
            raise RegistryError(msg) from error

    def _basic(self) -> str:
        return base64.b64encode(f"{self.auth.username}:{self.auth.password}".encode()).decode()

    def _authenticate(self, challenge: str) -> bool:
        """Take the 401's challenge: basic credentials, or a Bearer token from its realm."""
        if not self.auth.username:
            if self.auth.helper:
                msg = (
                    f"{self.host} needs a login, and the docker config keeps it in the "
                    f"credential helper docker-credential-{self.auth.helper}, which quatrain "
                    "does not read yet. Log in without the helper, or attach the SBOM with "
                    "another tool (oras attach)."
                )
                raise RegistryError(msg)
            return False
        scheme, _, rest = challenge.partition(" ")
        if scheme.lower() == "basic" and not self.basic:
            self.basic = True
            return True
        params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if scheme.lower() != "bearer" or "realm" not in params or challenge in self._tried:
            return False
        self._tried.add(challenge)
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        request = urllib.request.Request(f"{params['realm']}?{urllib.parse.urlencode(query)}")
        request.add_unredirected_header("Authorization", f"Basic {self._basic()}")
        status, _, body = self._send(request)
        if status != 200:
            self._fail(status, body, "get a token")
        answer = json.loads(body)
        self.token = answer.get("token") or answer.get("access_token")
        return bool(self.token)

    def _fail(self, status: int, body: bytes, action: str) -> NoReturn:
        detail = body.decode("utf-8", errors="replace")[:300]
        hint = " Log in with `docker login`." if status in (401, 403) else ""
        msg = f"The registry {self.host} refused to {action} (HTTP {status}: {detail}).{hint}"
        raise RegistryError(msg)
