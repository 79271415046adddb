"""Two small commands."""

from __future__ import annotations

import argparse


def count() -> None:
    parser = argparse.ArgumentParser(prog="tb-count", description="Count the arguments.")
    parser.add_argument("words", nargs="*")
    print(len(parser.parse_args().words))


def echo() -> None:
    parser = argparse.ArgumentParser(prog="tb-echo", description="Print the arguments.")
    parser.add_argument("words", nargs="*")
    print(" ".join(parser.parse_args().words))
