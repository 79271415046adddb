"""The `greet` console script."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import colorama


def greeting(name: str) -> str:
    return f"Hello, {name}!"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="greet", description="Print a greeting.")
    parser.add_argument("name", help="who to greet")
    args = parser.parse_args(argv)
    colorama.just_fix_windows_console()  # a no-op outside Windows consoles
    print(greeting(args.name))
    return 0
