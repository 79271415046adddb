"""Progress and warnings for people: steps with durations on stderr, commands echoed as `+ cmd`.

There is one stderr per process, so there is one module-level `log`.
"""

from __future__ import annotations

import sys
import time
import unicodedata
from typing import TextIO

# Bidirectional overrides and isolates: they make a line read differently from what it says
# ("Trojan Source", CVE-2021-42574), in a terminal as in a reviewed Dockerfile.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def is_breaking(c: str) -> bool:
    """A character no line shown to people may carry raw: it ends the line for a terminal,
    BuildKit or an editor, cannot be encoded (a lone surrogate), or reorders what is read."""
    category = unicodedata.category(c)
    return (category == "Cc" and c != "\t") or category in ("Zl", "Zp", "Cs") or c in BIDI_CONTROLS


def one_line(text: str) -> str:
    """Text as one line that shows what it says: each breaking character is written as its
    escape (`\\n`, `\\u202e`). Warnings and errors pass a project's names through it, and
    so do the Dockerfile's comments (quoting.comment)."""
    return "".join(
        c.encode("unicode_escape").decode("ascii") if is_breaking(c) else c for c in text
    )


class Logger:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._step: tuple[str, float] | None = None

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def step(self, title: str) -> None:
        self.step_end()
        self._step = (title, time.monotonic())
        self._write(f"==> {title}")

    def step_end(self, *, success: bool = True) -> None:
        if self._step is None:
            return
        title, start = self._step
        self._step = None
        mark = "done" if success else "FAILED"
        self._write(f"<== {title} {mark} in {time.monotonic() - start:.1f}s")

    def command(self, argv: list[str]) -> None:
        import shlex

        self._write("+ " + shlex.join(argv))

    def info(self, message: str) -> None:
        self._write(message)

    def warning(self, message: str) -> None:
        self._write(f"quatrain: warning: {one_line(message)}")

    def error(self, message: str) -> None:
        self._write(f"quatrain: error: {one_line(message)}")

    def _write(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


log = Logger()
