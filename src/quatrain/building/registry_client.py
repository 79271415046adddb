"""One registry's HTTP API through oras-py (the ORAS project's Python client, on requests), with
quatrain's rule for where a login may go.

oras-py brings the transport: a requests session (which drops `Authorization` when a redirect
leads to another host), the URLs of the distribution API, the blob upload (HEAD, POST, PUT to
the session's Location) and the token request of the distribution spec's token flow (the
realm, `service` and `scope` of a Bearer challenge, with the login as Basic credentials).

What quatrain keeps, because oras-py 0.2.43 does otherwise (each seen in
tests/unit/test_sbom_push_credentials.py):

- A challenge is answered only when the registry itself sent it. oras-py answers the 401 of
  whatever host a redirect ended on, and sends the login to the realm that host names.
- A Basic challenge is answered with Basic credentials to the registry. oras-py takes its
  realm (a name, such as Distribution's `realm="basic-realm"`) for the address of a token
  server, and sends the login there.
- A token is asked again when a challenge names another scope (a push after a pull);
  oras-py keeps its first token, which a token server issued for pull alone.
- No retries: oras-py retries any failure five times, 131 s of sleeping for a registry
  that is down; quatrain says so at once.
- A URL on another host than the registry's (an upload's Location) is refused, never sent
  the login; a realm on plain HTTP is refused unless on loopback, like the registry itself.
- The login is the one quatrain read from the engine's config and nothing else: oras-py's
  own reading of ~/.docker/config.json, ORAS_USER/ORAS_PASS and credential helpers is
  never asked (it runs helpers as processes).
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import oras.auth.token
import oras.auth.utils
import oras.container
import oras.provider
import requests

from quatrain.building.registry import is_loopback
from quatrain.errors import RegistryError

TIMEOUT_SECONDS = 30

# oras-py logs through the logging module; with no handler, Python's last resort would print
# its warnings to stderr beside quatrain's one message. What failed is in that message.
logging.getLogger("oras.logger").addHandler(logging.NullHandler())
logging.getLogger("oras.logger").propagate = False


@dataclass(frozen=True)
class Login:
    username: str = ""
    password: str = ""
    helper: str | None = None  # a credential helper the config names, which we do not run


@dataclass(frozen=True, kw_only=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # requests' own mapping: names are case-insensitive
    body: bytes


class _TimedSession(requests.Session):
    """A session whose every request has a timeout (requests has none by default, and
    oras-py passes none to the token request)."""

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


def origin(url: str) -> tuple[str, str]:
    """Scheme and host:port: what 'the same registry' means for a URL."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _Auth(oras.auth.token.TokenAuth):
    """The token flow of oras-py, answering only the registry's own challenges."""

    def __init__(self, host: str, login: Login) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.host = host
        self.login = login
        self.basic = False
        self.scheme = "http" if is_loopback(host) else "https"
        self.token_for: str | None = None  # the challenge the token was issued for
        if login.username:
            self.set_basic_auth(login.username, login.password)
        # Filled, so that oras-py never loads a docker config of its own.
        self._auth_config: dict[str, Any] = {"auths": {}}

    def get_auth_header(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.basic:
            return {"Authorization": f"Basic {self._basic_auth}"}
        return {}

    def authenticate_request(
        self, original: requests.Response, headers: dict[str, str], refresh: bool = False
    ) -> tuple[dict[str, str], bool]:
        """New headers for a retry of the request that got `original` (401 or 403), and
        whether a retry can do better."""
        if origin(original.url) != (self.scheme, self.host.lower()):
            return headers, False  # a challenge from where a redirect led: not our registry's
        challenge = original.headers.get("WWW-Authenticate", "")
        scheme = challenge.partition(" ")[0].lower()
        self.needs_login(original.status_code)
        if scheme == "basic" and self.login.username and not self.basic:
            self.basic = True
            return {**headers, **self.get_auth_header()}, True
        if scheme != "bearer" or challenge == self.token_for:
            return headers, False  # the same challenge again: the token was refused
        parsed = oras.auth.utils.parse_auth_header(challenge)
        self.check_realm(parsed.realm)
        # oras-py annotates these as bool; they return the token, or None.
        token: Any = (
            self.request_token(parsed)
            if self.login.username
            else self.request_anonymous_token(parsed)
        )
        if not token:
            msg = f"The registry {self.host} gave no token at {parsed.realm} for {parsed.scope}."
            raise RegistryError(msg + self.hint())
        self.token, self.token_for = token, challenge
        return {**headers, **self.get_auth_header()}, True

    def needs_login(self, status: int) -> None:
        """A registry that wants a login kept by a credential helper: say so."""
        if status == 401 and not self.login.username and self.login.helper:
            msg = (
                f"{self.host} needs a login, and the docker config keeps it in the credential "
                f"helper docker-credential-{self.login.helper}, which quatrain does not run. "
                "Log in without the helper, or attach the SBOM with another tool (oras attach)."
            )
            raise RegistryError(msg)

    def check_realm(self, realm: str | None) -> None:
        """The token server gets the login: an https URL, or http on loopback."""
        parts = urllib.parse.urlsplit(realm or "")
        plain_ok = parts.scheme == "http" and is_loopback(parts.netloc)
        if not parts.netloc or not (parts.scheme == "https" or plain_ok):
            msg = (
                f"The registry {self.host} names {realm!r} as its token server; quatrain sends a "
                "login only to an https URL (or plain http on loopback). Check the registry's "
                "auth configuration."
            )
            raise RegistryError(msg)

    def hint(self) -> str:
        return " Log in with `docker login`." if not self.login.username else ""


class Client(oras.provider.Registry):
    """oras-py's registry client for one repository, with quatrain's rules (module docstring)."""

    def __init__(self, host: str, name: str, login: Login) -> None:
        super().__init__(hostname=host, insecure=is_loopback(host))
        self.session = _TimedSession()
        # As oras-py does for its own session: a registry's cookies mean nothing here.
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.auth = _Auth(host, login)
        self.auth.session = self.session
        self.auth._tls_verify = True
        self.host = host
        # Set, not parsed: oras-py's parser takes a first component with a '.' (team.eu/shop)
        # for a registry; quatrain's own parser has already said which part is which.
        self.container = oras.container.Container("placeholder", registry=host)
        namespace, _, self.container.repository = name.rpartition("/")
        self.container.namespace = namespace or None

    def url(self, path: str) -> str:
        """The repository's API URL for `path` (`/manifests/REF`, `/blobs/DIGEST`, ...)."""
        return f"{self.prefix}://{self.host}/v2/{self.container.api_prefix}{path}"

    def do_request(
        self,
        url: str,
        method: str = "GET",
        data: bytes | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """oras-py's request with its login, once more after a challenge it answered; every
        call of oras-py's own methods (the blob upload) comes here too."""
        if origin(url) != (self.prefix, self.host.lower()):
            msg = (
                f"The registry {self.host} sent quatrain to {origin(url)[1]} "
                f"({url.split('?')[0]}); quatrain sends a registry's login and data to that "
                "registry alone."
            )
            raise RegistryError(msg)
        sent = dict(headers or {})
        response = self._send(method, url, data, {**sent, **self.auth.get_auth_header()}, json)
        for _ in range(2):  # a Basic challenge, then perhaps a Bearer one for a new scope
            if response.status_code not in (401, 403):
                break
            retry, changed = self.auth.authenticate_request(response, sent)
            if not changed:
                break
            response = self._send(method, url, data, retry, json)
        return response

    def _send(
        self,
        method: str,
        url: str,
        data: bytes | dict[str, Any] | None,
        headers: dict[str, str],
        json: dict[str, Any] | None,
    ) -> requests.Response:
        try:
            return self.session.request(method, url, data=data, json=json, headers=headers)
        except requests.RequestException as error:
            msg = f"Cannot reach the registry {self.host}: {error}. Check that it is running."
            raise RegistryError(msg) from error

    def call(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        accept: tuple[str, ...] = (),
        content_type: str | None = None,
    ) -> Answer:
        """One request to the repository's API."""
        headers = {"Accept": ", ".join(accept)} if accept else {}
        if content_type:
            headers["Content-Type"] = content_type
        response = self.do_request(self.url(path), method, data=data, headers=headers)
        return Answer(status=response.status_code, headers=response.headers, body=response.content)
