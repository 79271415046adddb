from app import GREETING, app


def test_index_greets() -> None:
    assert app.test_client().get("/").text == GREETING
