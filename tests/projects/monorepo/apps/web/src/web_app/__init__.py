"""A Flask app that uses the monorepo's library."""

from __future__ import annotations

from flask import Flask
from greetings import greet


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return greet("web_app")

    return app
