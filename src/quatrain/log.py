"""Progress and warnings for people: steps with durations on stderr, commands echoed as `+ cmd`.

There is one stderr per process, so there is one module-level `log`.
"""

from __future__ import annotations

import sys
import time
import unicodedata
from typing import TextIO


def one_line(message: str) -> str:
    """A message as one terminal line that shows what it says: a control character (a line
    break, an escape sequence) or an invisible format character (U+202E, which reorders the
    line) from a project's names is written as its escape, `\\n` or `\\u202e`."""
    return "".join(
        c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in ("Cc", "Cf") else c
        for c in message
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
