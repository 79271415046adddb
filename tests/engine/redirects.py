"""A registry on loopback that redirects to a second host which logs every request's headers.

The front, on 127.0.0.1, stands before one of the test bed's real registries (Debian's
docker-registry, shipping.py): a request without a login goes through to it, so the challenge
is the real registry's own; a blob or manifest request that carries a login is answered 307
to the second host, as registries send downloads to their storage. The second host, on
127.0.0.2 (another host name, which is what requests compares before it drops
`Authorization`), records the headers it was sent, then does the request itself with a login
of its own, as a storage service holds its own access, so that the client's work succeeds
through it. Every other request (uploads, a manifest's PUT) goes through the front to the
registry unchanged. Both are threads of the test process; both stop with the fixture.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

REDIRECTED = re.compile(r"/v2/.+/(blobs|manifests)/[^/]+")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Redirecting:
    front: str  # 127.0.0.1:PORT: the registry's address for clients
    second: str  # 127.0.0.2:PORT
    at_front: list[dict[str, str]] = field(default_factory=list)  # headers of each request
    at_second: list[dict[str, str]] = field(default_factory=list)
    redirected: list[str] = field(default_factory=list)  # "METHOD path" of each 307


def _relay(
    handler: http.server.BaseHTTPRequestHandler, upstream: str, headers: dict[str, str]
) -> None:
    """Do the handler's request at `upstream` with `headers`, and answer with what it got."""
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else None
    connection = http.client.HTTPConnection(upstream, timeout=30)
    try:
        connection.request(handler.command, handler.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    handler.send_response(response.status)
    for name, value in response.getheaders():
        if name.lower() not in HOP_BY_HOP:
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(data)


@contextlib.contextmanager
def _serve(address: str, handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer((address, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{address}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def redirecting(registry: str, login: tuple[str, str]) -> Iterator[Redirecting]:
    """The front and the second host before `registry` (host:port); `login` is the second
    host's own access to it."""
    state = Redirecting(front="", second="")
    own = base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()

    class Second(http.server.BaseHTTPRequestHandler):
        def handle_one(self) -> None:
            state.at_second.append(dict(self.headers))
            # The registry's own URLs name the front (its Location headers, for one).
            _relay(
                self,
                registry,
                {"Host": state.front, **self._kept(), "Authorization": f"Basic {own}"},
            )

        def _kept(self) -> dict[str, str]:
            return {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one

        def log_message(self, *args: object) -> None:  # quiet
            pass

    class Front(Second):
        def handle_one(self) -> None:
            state.at_front.append(dict(self.headers))
            if "Authorization" in self.headers and REDIRECTED.fullmatch(self.path.split("?")[0]):
                state.redirected.append(f"{self.command} {self.path}")
                self.send_response(307)
                self.send_header("Location", f"http://{state.second}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            _relay(self, registry, {"Host": state.front, **self._kept()})

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one

    with _serve("127.0.0.2", Second) as second, _serve("127.0.0.1", Front) as front:
        state.second, state.front = second, front
        yield state
