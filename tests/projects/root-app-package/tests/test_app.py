from app import app
from routes.pages import GREETING


def test_index_greets() -> None:
    assert app.test_client().get("/").text == f"<p>{GREETING}</p>"
