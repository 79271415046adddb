"""The SBOM attachment's registry login goes to that registry (and the token server its own
challenge names) alone, whatever the registries on the wire answer.

Real sockets, no process: small HTTP servers on 127.0.0.1 (the registry) and 127.0.0.2 (another
host for requests, which compares host names) record every request they get. Several cases are
ones oras-py 0.2.43 gets wrong by itself (registry_client.py's docstring lists them).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from quatrain.building import sbom_push
from quatrain.errors import RegistryError

CANARY = "canary-password-31f"
LOGIN = base64.b64encode(f"ci:{CANARY}".encode()).decode()
IMAGE = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}'
DIGEST = f"sha256:{hashlib.sha256(IMAGE).hexdigest()}"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes = b""


Respond = Callable[[Seen], Reply]


@contextlib.contextmanager
def serving(address: str, respond: Respond, seen: list[Seen]) -> Iterator[str]:
    """An HTTP server on `address` that records each request in `seen`; its host:port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            request = Seen(self.command, self.path, dict(self.headers))
            seen.append(request)
            reply = respond(request)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_HEAD = do_POST = do_PUT = answer

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer((address, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{address}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def login_config(directory: Path, host: str) -> Path:
    (directory / "config.json").write_text(json.dumps({"auths": {host: {"auth": LOGIN}}}))
    return directory


def secrets_in(requests: list[Seen], *secrets: str) -> list[Seen]:
    """The requests that carry a login header or any of `secrets` anywhere in their headers."""
    return [
        r
        for r in requests
        if "Authorization" in r.headers or any(s in json.dumps(r.headers) for s in secrets)
    ]


def not_found(request: Seen) -> Reply:
    return Reply(404, {"Content-Type": "application/json"}, b'{"errors":[]}')


@pytest.mark.parametrize("challenge", ["basic", "bearer"])
def test_a_registry_that_redirects_to_another_host_never_hands_it_the_login_or_token(
    tmp_path: Path, challenge: str
) -> None:
    token = f"token-{CANARY}"
    registry: list[Seen] = []
    elsewhere: list[Seen] = []
    with serving("127.0.0.2", not_found, elsewhere) as other:

        def respond(request: Seen) -> Reply:
            if request.path.startswith("/token"):
                return Reply(
                    200, {"Content-Type": "application/json"}, b'{"token":"%s"}' % token.encode()
                )
            if request.headers.get("Authorization") not in (f"Basic {LOGIN}", f"Bearer {token}"):
                realm = (
                    'Basic realm="r"'
                    if challenge == "basic"
                    else (
                        f'Bearer realm="http://{host}/token",service="s",scope="repository:team/shop:pull"'
                    )
                )
                return Reply(401, {"WWW-Authenticate": realm})
            return Reply(307, {"Location": f"http://{other}{request.path}"})

        with (
            serving("127.0.0.1", respond, registry) as host,
            pytest.raises(RegistryError, match="refused to find the image"),
        ):
            sbom_push.attach(f"{host}/team/shop@{DIGEST}", b"{}", login_config(tmp_path, host))

    assert elsewhere  # the redirect was followed
    assert secrets_in(elsewhere, CANARY, LOGIN, token) == []
    expected = f"Basic {LOGIN}" if challenge == "basic" else f"Bearer {token}"
    assert any(r.headers.get("Authorization") == expected for r in registry)  # it was sent


def test_a_challenge_from_the_host_a_redirect_led_to_gets_no_login(tmp_path: Path) -> None:
    elsewhere: list[Seen] = []

    def challenge(request: Seen) -> Reply:
        if request.path.startswith("/token"):
            return Reply(200, {"Content-Type": "application/json"}, b'{"token":"stolen"}')
        realm = f'Bearer realm="http://{other}/token",service="s",scope="repository:team/shop:pull"'
        return Reply(401, {"WWW-Authenticate": realm})

    with serving("127.0.0.2", challenge, elsewhere) as other:

        def redirect(request: Seen) -> Reply:
            return Reply(307, {"Location": f"http://{other}{request.path}"})

        with (
            serving("127.0.0.1", redirect, []) as host,
            pytest.raises(RegistryError, match="HTTP 401"),
        ):
            sbom_push.attach(f"{host}/team/shop@{DIGEST}", b"{}", login_config(tmp_path, host))

    assert [r.path for r in elsewhere] == [f"/v2/team/shop/manifests/{DIGEST}"]  # no /token
    assert secrets_in(elsewhere, CANARY, LOGIN) == []


def test_the_realm_of_a_basic_challenge_is_never_taken_for_a_token_server(tmp_path: Path) -> None:
    named: list[Seen] = []
    registry: list[Seen] = []
    with serving("127.0.0.2", not_found, named) as other:

        def basic(request: Seen) -> Reply:
            if request.headers.get("Authorization") != f"Basic {LOGIN}":
                return Reply(401, {"WWW-Authenticate": f'Basic realm="{other}"'})
            return not_found(request)

        with (
            serving("127.0.0.1", basic, registry) as host,
            pytest.raises(RegistryError, match="refused to find the image"),
        ):
            sbom_push.attach(f"{host}/team/shop@{DIGEST}", b"{}", login_config(tmp_path, host))

    assert named == []
    assert [r.headers.get("Authorization") for r in registry] == [None, f"Basic {LOGIN}"]


def test_an_upload_location_on_another_host_is_refused_and_never_sent_the_login(
    tmp_path: Path,
) -> None:
    elsewhere: list[Seen] = []
    with serving("127.0.0.2", not_found, elsewhere) as other:

        def registry(request: Seen) -> Reply:
            if request.headers.get("Authorization") != f"Basic {LOGIN}":
                return Reply(401, {"WWW-Authenticate": 'Basic realm="r"'})
            if request.path.endswith(f"/manifests/{DIGEST}"):
                return Reply(
                    200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, IMAGE
                )
            if request.method == "POST":
                return Reply(202, {"Location": f"http://{other}/uploads/1"})
            return not_found(request)

        with (
            serving("127.0.0.1", registry, []) as host,
            pytest.raises(RegistryError, match=f"sent quatrain to {other}"),
        ):
            sbom_push.attach(f"{host}/team/shop@{DIGEST}", b"{}", login_config(tmp_path, host))

    assert elsewhere == []


class TokenRegistry:
    """A registry of the token flow that keeps what is pushed to it: a token covers the scope
    its challenge named, pull for reads, pull and push for writes, as Distribution's does."""

    def __init__(self) -> None:
        self.blobs: set[str] = set()
        self.manifests: dict[str, bytes] = {DIGEST: IMAGE}
        self.tokens: list[str] = []
        self.host = ""

    def respond(self, request: Seen) -> Reply:
        if request.path.startswith("/token"):
            assert request.headers.get("Authorization") == f"Basic {LOGIN}"
            scope = request.path.split("scope=")[1]
            self.tokens.append(scope)
            return Reply(
                200, {"Content-Type": "application/json"}, json.dumps({"token": scope}).encode()
            )
        needed = "pull" if request.method in ("GET", "HEAD") else "pull%2Cpush"
        if request.headers.get("Authorization", "").removeprefix("Bearer ") != (
            f"repository%3Ateam%2Fshop%3A{needed}"
        ):
            scope = f"repository:team/shop:{needed.replace('%2C', ',')}"
            realm = f'Bearer realm="http://{self.host}/token",service="s",scope="{scope}"'
            return Reply(401, {"WWW-Authenticate": realm})
        return self.serve(request)

    def serve(self, request: Seen) -> Reply:
        path = request.path.split("?")[0].removeprefix("/v2/team/shop")
        if request.method == "HEAD" and path.startswith("/blobs/"):
            return Reply(200 if path[7:] in self.blobs else 404, {})
        if request.method == "POST":
            return Reply(202, {"Location": "/v2/team/shop/blobs/uploads/1"})
        if request.method == "PUT" and path.startswith("/blobs/uploads/"):
            self.blobs.add(request.path.split("digest=")[1].replace("%3A", ":"))
            return Reply(201, {})
        if request.method == "PUT":
            return Reply(201, {})
        body = self.manifests.get(path.removeprefix("/manifests/"))
        if body is None:
            return not_found(request)
        return Reply(200, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, body)


def test_a_push_after_a_pull_asks_the_token_server_for_the_push_scope(tmp_path: Path) -> None:
    registry = TokenRegistry()
    with serving("127.0.0.1", registry.respond, []) as host:
        registry.host = host
        attached = sbom_push.attach(
            f"{host}/team/shop@{DIGEST}", b"{}", login_config(tmp_path, host)
        )

    assert attached.referrers_tag == f"sha256-{DIGEST.removeprefix('sha256:')}"
    assert registry.blobs == {f"sha256:{hashlib.sha256(b'{}').hexdigest()}"}
    assert "repository%3Ateam%2Fshop%3Apull%2Cpush" in registry.tokens


def test_a_registry_that_is_down_is_a_registry_error_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_waiting(seconds: float) -> None:
        msg = f"slept {seconds} s before saying the registry is down"
        raise AssertionError(msg)

    monkeypatch.setattr(time, "sleep", no_waiting)  # oras-py's retry sleeps between tries
    with serving("127.0.0.1", not_found, []) as host:
        pass  # now closed: nothing listens on that port

    with pytest.raises(RegistryError, match=f"Cannot reach the registry {host}"):
        sbom_push.attach(f"{host}/team/shop@{DIGEST}", b"{}", tmp_path)


def test_a_login_kept_by_a_credential_helper_is_named_and_never_run(tmp_path: Path) -> None:
    def challenge(request: Seen) -> Reply:
        return Reply(401, {"WWW-Authenticate": 'Basic realm="r"'})

    with serving("127.0.0.1", challenge, []) as host:
        (tmp_path / "config.json").write_text(json.dumps({"credsStore": "secretservice"}))
        with pytest.raises(RegistryError, match="docker-credential-secretservice"):
            sbom_push.attach(f"{host}/team/shop@{DIGEST}", b"{}", tmp_path)
