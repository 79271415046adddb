from alpha import GREETING, create_app


def test_index_greets_through_beta() -> None:
    assert GREETING == "HELLO FROM ALPHA!"
    assert create_app().test_client().get("/").text == GREETING
