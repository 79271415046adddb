import os

import django
from django.test import Client


def test_index_greets() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    django.setup()
    response = Client().get("/")
    assert response.status_code == 200
    assert response.content.decode() == "hello from django"
