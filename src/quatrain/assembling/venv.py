"""/opt/venv for one platform from the lock's wheels, with no Python of that platform running.

Which wheel: of the files the lock lists for a package, the one whose best tag comes first among
the tags the image's CPython takes on its glibc and machine (reading/wheels.py, as pip ranks
them). pip downloads it (the index, its cache and the user's network settings are pip's), with
every hash the lock has for the package, so any other file is refused; quatrain checks the
file's sha256 against the lock once more. `installer` (PyPA's library for installing wheels)
unpacks each into the venv's scheme under a staging directory, console scripts pointing at
/opt/venv/bin/python. Nothing is compiled and no bytecode is written: a package without a wheel
for the platform is refused by name, with the Dockerfile path (which compiles) as the way.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from quatrain import cmd
from quatrain.assembling.tree import Entry
from quatrain.errors import BuildError, ProjectError
from quatrain.log import log
from quatrain.reading import wheels
from quatrain.reading.lock import LockedPackage, canonical_name

# Where packages come from when the lock names no source for them.
PUBLIC_INDEX = "https://pypi.org/simple/"
VENV = "/opt/venv"
INSTALLER_NAME = b"quatrain\n"


@dataclass(frozen=True, kw_only=True)
class Wanted:
    package: LockedPackage
    wheel: str  # the locked file chosen
    index: str


def choose(
    packages: Sequence[LockedPackage], platform: wheels.Platform, *, builds_with: str
) -> list[Wanted]:
    """The wheel of each package for the platform; a ProjectError naming every package that has
    none (and why), pointing at `builds_with`, the way that compiles."""
    chosen, missing = [], []
    for package in sorted(packages, key=lambda p: canonical_name(p.name)):
        wheel = wheels.best_wheel(package, platform)
        if wheel is None or not package.hashes:
            missing.append(package)
            continue
        index = (
            package.source_url
            if package.source_type == "legacy" and package.source_url
            else PUBLIC_INDEX
        )
        chosen.append(Wanted(package=package, wheel=wheel, index=index))
    if missing:
        named = ", ".join(
            f"{p.name} {p.version}" + ("" if p.hashes else " (no hash in the lock)")
            for p in missing
        )
        msg = (
            f"No locked wheel for CPython {platform.python} on linux/{platform.machine} of: "
            f"{named}. The daemonless build compiles nothing and installs only hashed wheels; "
            f"{builds_with}"
        )
        raise ProjectError(msg)
    return chosen


def download(
    wanted: Sequence[Wanted], platform: wheels.Platform, directory: Path, env: Mapping[str, str]
) -> dict[str, Path]:
    """pip downloads the chosen wheels into `directory`, one run per index; name -> file."""
    directory.mkdir(parents=True, exist_ok=True)
    by_index: dict[str, list[Wanted]] = {}
    for want in wanted:
        by_index.setdefault(want.index, []).append(want)
    major, minor = platform.python_tuple
    tags = wheels.ordered_tags(platform)
    platforms = list(
        dict.fromkeys(
            t.platform
            for t in tags
            if t.platform not in ("any",) and not t.platform.startswith("linux_")
        )
    )
    for index, group in by_index.items():
        requirements = directory / ".requirements.txt"
        requirements.write_text(
            "".join(
                f"{w.package.name}=={w.package.version} "
                + " ".join(f"--hash={h}" for h in w.package.hashes)
                + "\n"
                for w in group
            )
        )
        argv = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--progress-bar=off", "--dest", str(directory),
            "--index-url", index, "--implementation", "cp",
            "--python-version", f"{major}.{minor}",
            *(f"--abi={a}" for a in (f"cp{major}{minor}", "abi3", "none")),
            *(f"--platform={p}" for p in platforms),
            "--require-hashes", "--requirement", str(requirements),
        ]  # fmt: skip
        code, lines = cmd.stream(argv, env=dict(env))
        requirements.unlink()
        if code != 0:
            said = next((line.strip() for line in reversed(lines) if line.strip()), "no message")
            msg = f"pip could not download the locked wheels from {index} ({said})."
            raise BuildError(msg)
    return {w.package.name: checked(directory, w) for w in wanted}


def checked(directory: Path, want: Wanted) -> Path:
    """The downloaded file of a package, if its hash is one the lock has."""
    found = [p for p in directory.glob("*.whl") if _same_distribution(p.name, want)]
    for path in found:
        digest = f"sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"
        if digest in want.package.hashes:
            return path
    msg = (
        f"No downloaded file of {want.package.name} {want.package.version} has a hash that "
        "poetry.lock lists for it: the index serves other files than those locked. Run "
        "`poetry lock` again, or check the index."
    )
    raise BuildError(msg)


def _same_distribution(filename: str, want: Wanted) -> bool:
    name, _, rest = filename.partition("-")
    same_name = canonical_name(name) == canonical_name(want.package.name)
    return filename == want.wheel or (same_name and rest.startswith(f"{want.package.version}-"))


def scheme(python_minor: str) -> dict[str, str]:
    site = f"{VENV}/lib/python{python_minor}/site-packages"
    return {
        "purelib": site,
        "platlib": site,
        "headers": f"{VENV}/include/site/python{python_minor}",
        "scripts": f"{VENV}/bin",
        "data": VENV,
    }


def install_wheels(files: Sequence[Path], stage: Path, python_minor: str) -> None:
    """Unpack each wheel into the venv's scheme under `stage` (the image's / there)."""
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    destination = SchemeDictionaryDestination(
        scheme(python_minor), interpreter=f"{VENV}/bin/python", script_kind="posix",
        destdir=str(stage),
    )  # fmt: skip
    for path in sorted(files, key=lambda p: p.name):
        log.info(f"  installing {path.name}")
        with WheelFile.open(path) as source:
            install(source, destination, additional_metadata={"INSTALLER": INSTALLER_NAME})


def skeleton(python: str, python_minor: str, home: str) -> list[Entry]:
    """The venv's own files, as `python -m venv --without-pip` makes them."""
    config = f"home = {home}\ninclude-system-site-packages = false\nversion = {python}\n"
    links = {
        "bin/python": f"{home}/python3",
        "bin/python3": "python",
        f"bin/python{python_minor}": "python",
        "lib64": "lib",
    }
    return [
        Entry(path=f"{VENV}/pyvenv.cfg", kind="file", mode=0o644, data=config.encode()),
        *(Entry(path=f"{VENV}/{p}", kind="symlink", target=t) for p, t in links.items()),
    ]
