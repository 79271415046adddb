"""A Flask app built by a factory, in a project shaped for Poetry 1.8."""

from __future__ import annotations

from flask import Flask

GREETING = "hello from legacy_app"


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return GREETING

    return app
