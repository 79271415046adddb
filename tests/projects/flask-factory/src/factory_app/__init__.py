"""A Flask app built by a factory."""

from __future__ import annotations

from flask import Flask

GREETING = "hello from factory_app"


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return GREETING

    return app
