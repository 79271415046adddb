"""The SBOM attachment's registry credentials go to that registry alone: a redirect elsewhere
never carries them (urllib copies a request's ordinary headers into the redirected one)."""

from __future__ import annotations

import http.client
import io
import urllib.request
from collections.abc import Mapping

import pytest

from quatrain.building import sbom_push

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
