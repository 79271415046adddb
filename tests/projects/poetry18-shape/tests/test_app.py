from legacy_app import GREETING, create_app


def test_index_greets() -> None:
    assert create_app().test_client().get("/").text == GREETING
