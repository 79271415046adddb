"""Shared by every test directory."""

from __future__ import annotations

# tests/projects holds the user projects the engine tests build; their own tests are theirs.
collect_ignore = ["projects"]
