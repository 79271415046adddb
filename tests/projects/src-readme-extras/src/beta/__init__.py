"""Helpers for `alpha`, shipped in the same wheel as a second top-level package."""

from __future__ import annotations


def shout(text: str) -> str:
    return text.upper() + "!"
