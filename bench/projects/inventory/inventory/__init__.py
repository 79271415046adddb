"""A small inventory service: the heavier reference app of quatrain's benchmark."""

from __future__ import annotations

import sqlite3
from typing import Any

import requests
import yaml
from flask import Flask
from pydantic import BaseModel, Field
from sqlalchemy import Engine, create_engine, event, text

SEED = """
items:
  - {id: 1, name: anvil, quantity: 3, tags: [heavy, iron]}
  - {id: 2, name: rope, quantity: 40, tags: [hemp]}
  - {id: 3, name: lantern, quantity: 12, tags: [brass, oil]}
  - {id: 4, name: compass, quantity: 7, tags: []}
"""


class Item(BaseModel):
    id: int
    name: str = Field(min_length=1)
    quantity: int = Field(ge=0)
    tags: list[str] = []


def _seed(connection: sqlite3.Connection, _record: Any) -> None:
    """Every new in-memory connection (one per thread) gets its own copy of the stock."""
    connection.execute(
        "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, quantity INTEGER, tags TEXT)"
    )
    rows = [Item.model_validate(raw) for raw in yaml.safe_load(SEED)["items"]]
    connection.executemany(
        "INSERT INTO item VALUES (?, ?, ?, ?)",
        [(row.id, row.name, row.quantity, ",".join(row.tags)) for row in rows],
    )


def _item(row: Any) -> Item:
    tags = row.tags.split(",") if row.tags else []
    return Item(id=row.id, name=row.name, quantity=row.quantity, tags=tags)


def make_engine() -> Engine:
    engine = create_engine("sqlite://")
    event.listen(engine, "connect", _seed)
    return engine


def create_app(test_config: dict[str, object] | None = None) -> Flask:
    app = Flask(__name__)
    if test_config:
        app.config.update(test_config)
    engine = make_engine()
    app.extensions["upstream"] = requests.Session()

    @app.get("/")
    def index() -> dict[str, object]:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, name, quantity, tags FROM item ORDER BY id"))
            items = [_item(row) for row in rows]
        return {"app": "inventory", "items": [item.model_dump() for item in items]}

    return app
