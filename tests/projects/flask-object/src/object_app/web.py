"""The app is a module-level object: `object_app.web:app`."""

from __future__ import annotations

from flask import Flask

GREETING = "hello from object_app"

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return GREETING
