from coach_planner import create_app


def test_index_answers() -> None:
    client = create_app({"TESTING": True}).test_client()
    assert client.get("/").json == {"app": "coach_planner", "status": "ok"}
