from inventory import create_app


def test_index_lists_the_stock() -> None:
    client = create_app({"TESTING": True}).test_client()
    body = client.get("/").json
    assert body["app"] == "inventory"
    assert [item["name"] for item in body["items"]] == ["anvil", "rope", "lantern", "compass"]
