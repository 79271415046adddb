"""A Flask app in a plain module; gunicorn loads `app:app` from the working directory."""

from __future__ import annotations

from flask import Flask

GREETING = "hello from scripts-app"

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return GREETING
