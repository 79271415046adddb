"""The app comes from a factory, which Sanic's command line calls with `--factory`."""

from __future__ import annotations

from sanic import Request, Sanic, text
from sanic.response import HTTPResponse

GREETING = "hello from board"


def create_app() -> Sanic:
    app = Sanic("board")

    @app.get("/")
    async def index(request: Request) -> HTTPResponse:
        return text(GREETING)

    return app
