"""A tiny Flask app built by a factory, as in the article."""

from __future__ import annotations

from flask import Flask


def create_app(test_config: dict[str, object] | None = None) -> Flask:
    app = Flask(__name__)
    if test_config:
        app.config.update(test_config)

    @app.get("/")
    def index() -> dict[str, str]:
        return {"app": "coach_planner", "status": "ok"}

    return app
