"""Shared by the monorepo's apps."""


def greet(name: str) -> str:
    return f"hello from {name} via greetings"
