"""The service's entry point: a factory of its own name, and the app it makes."""

from pathlib import Path

from fastapi import FastAPI

from app.api.routes import router
from app.core.config import load


def get_application() -> FastAPI:
    settings = load()
    application = FastAPI(title=settings["title"])
    application.include_router(router)
    # Services write beside their working directory: ./data must be writable.
    Path("data").mkdir(exist_ok=True)
    (Path("data") / "started").write_text("yes\n")
    # ...and into the directories they commit empty for it (logs/.gitkeep).
    (Path("logs") / "orders.log").write_text("started\n")

    @application.get("/")
    def root() -> dict:
        return {"title": settings["title"]}

    return application


app = get_application()
