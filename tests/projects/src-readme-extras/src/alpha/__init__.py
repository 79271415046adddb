"""The Flask app; its greeting comes from the sibling package `beta`."""

from __future__ import annotations

from flask import Flask

from beta import shout

GREETING = shout("hello from alpha")


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return GREETING

    return app
