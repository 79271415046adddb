"""The site's pages."""

from __future__ import annotations

from flask import Blueprint, render_template

GREETING = "hello from notes-site"

pages = Blueprint("pages", __name__)


@pages.get("/")
def index() -> str:
    return render_template("index.html", greeting=GREETING)
