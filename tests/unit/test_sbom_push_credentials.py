"""The SBOM attachment's registry credentials go to that registry alone: a redirect elsewhere
never carries them (urllib copies a request's ordinary headers into the redirected one)."""

from __future__ import annotations

import base64
import contextlib
import http.client
import http.server
import io
import json
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from quatrain.building import sbom_push
from quatrain.errors import RegistryError

CANARY = "canary-password-31f"


def redirected(request: urllib.request.Request, to: str) -> urllib.request.Request | None:
    """The request urllib makes when the registry answers `request` with 307 to `to`."""
    headers = http.client.HTTPMessage()
    headers["Location"] = to
    handler = urllib.request.HTTPRedirectHandler()
    return handler.redirect_request(request, io.BytesIO(), 307, "Temporary Redirect", headers, to)


@pytest.mark.parametrize("token", [None, "token-from-realm"])
def test_a_redirect_to_another_host_carries_no_credentials(
    monkeypatch: pytest.MonkeyPatch, token: str | None
) -> None:
    sent: list[urllib.request.Request] = []

    def send(request: urllib.request.Request) -> tuple[int, Mapping[str, str], bytes]:
        sent.append(request)
        return 200, {}, b"{}"

    login = sbom_push._Login(username="ci", password=CANARY)
    registry = sbom_push._Registry(
        host="registry.example.org", name="team/shop", auth=login, token=token, basic=not token
    )
    monkeypatch.setattr(registry, "_send", send)

    registry._request("GET", "/manifests/sha256-" + "a" * 64)

    (request,) = sent
    assert request.get_header("Authorization") is not None  # the registry itself gets them
    elsewhere = redirected(request, "http://collector.example.net/steal")
    assert elsewhere is not None
    assert elsewhere.get_header("Authorization") is None
    assert all(CANARY not in str(v) for v in elsewhere.header_items())


class _Recorder(http.server.BaseHTTPRequestHandler):
    """The host a redirect leads to: records every request's headers."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append(dict(self.headers))
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:  # quiet
        pass


def _redirecting(to: str) -> type[http.server.BaseHTTPRequestHandler]:
    class Registry(http.server.BaseHTTPRequestHandler):
        """A registry that asks for basic auth, then redirects every request elsewhere."""

        def do_GET(self) -> None:
            if "Authorization" not in self.headers:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="registry"')
            else:
                self.send_response(307)
                self.send_header("Location", to + self.path)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Registry


@contextlib.contextmanager
def _serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_registry_that_redirects_to_another_host_never_hands_it_the_login(
    tmp_path: Path,
) -> None:
    _Recorder.seen.clear()
    login = base64.b64encode(f"ci:{CANARY}".encode()).decode()
    with _serving(_Recorder) as collector, _serving(_redirecting(f"http://{collector}")) as host:
        config = {"auths": {host: {"auth": login}}}
        (tmp_path / "config.json").write_text(json.dumps(config))
        with pytest.raises(RegistryError):
            sbom_push.attach(f"{host}/team/shop@sha256:{'a' * 64}", b"{}", tmp_path)

    assert _Recorder.seen  # the redirect was followed
    assert all("Authorization" not in headers for headers in _Recorder.seen)
    assert all(CANARY not in json.dumps(headers) for headers in _Recorder.seen)
