"""The app, from the factory `python -m aiohttp.web` calls with the rest of its argv."""

from __future__ import annotations

from aiohttp import web

GREETING = "hello from board"


async def index(request: web.Request) -> web.Response:
    return web.Response(text=GREETING)


def init_app(argv: list[str]) -> web.Application:
    app = web.Application()
    app.router.add_get("/", index)
    return app
