"""The ASGI app as a module-level object."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def index() -> dict[str, str]:
    return {"app": "fastapi_app"}
