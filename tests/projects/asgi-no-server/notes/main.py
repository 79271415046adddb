"""A FastAPI app with no server of its own in production."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def index() -> dict[str, str]:
    return {"app": "notes"}
