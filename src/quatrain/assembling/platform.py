"""Target platforms, as OCI names them (`linux/arm64`), and what each is in the other worlds
the build meets: `uname -m` for wheel tags and markers, Debian's architecture for its paths."""

from __future__ import annotations

import platform as host
from dataclasses import dataclass

from quatrain.errors import ConfigurationError


@dataclass(frozen=True)
class TargetPlatform:
    architecture: str  # OCI / Go: amd64, arm64
    machine: str  # uname -m, wheel tags: x86_64, aarch64
    elf_machine: int  # e_machine of its ELF files: 62 (x86-64), 183 (AArch64)

    @property
    def name(self) -> str:
        return f"linux/{self.architecture}"


# The platforms the official python images are built for that quatrain assembles. A new one is
# one entry (armv7 and ppc64le would need their variant and wheel tags checked first).
PLATFORMS = {
    "linux/amd64": TargetPlatform("amd64", "x86_64", 62),
    "linux/arm64": TargetPlatform("arm64", "aarch64", 183),
}
_ALIASES = {
    "linux/x86_64": "linux/amd64",
    "linux/aarch64": "linux/arm64",
    "linux/arm64/v8": "linux/arm64",
}


def parse_platforms(value: str | None) -> tuple[TargetPlatform, ...]:
    """`linux/amd64,linux/arm64` -> the platforms, in the order given, each once; None -> this
    machine's."""
    if not value:
        return (this_machine(),)
    found: list[TargetPlatform] = []
    for word in value.split(","):
        name = _ALIASES.get(word.strip().lower(), word.strip().lower())
        if name not in PLATFORMS:
            msg = (
                f"--platform: {word.strip()!r} is not a platform quatrain assembles. "
                f"Use {', '.join(PLATFORMS)} (comma-separated for several)."
            )
            raise ConfigurationError(msg)
        if PLATFORMS[name] not in found:
            found.append(PLATFORMS[name])
    return tuple(found)


def this_machine() -> TargetPlatform:
    machine = host.machine()
    for target in PLATFORMS.values():
        if machine in (target.machine, target.architecture):
            return target
    msg = f"This machine is {machine}: name the image's platform with --platform linux/amd64."
    raise ConfigurationError(msg)
