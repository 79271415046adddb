"""Settings from service.toml beside the code, as many services keep them."""

import tomllib
from pathlib import Path


def load() -> dict:
    with open(Path("service.toml"), "rb") as file:
        return tomllib.load(file)
