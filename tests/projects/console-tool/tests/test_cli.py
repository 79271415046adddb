import pytest

from greeter.cli import main


def test_greets_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["World"]) == 0
    assert capsys.readouterr().out == "Hello, World!\n"
