"""quatrain's SBOM step: the CycloneDX 1.6 JSON of what the production image holds.

The Dockerfile quatrain writes runs this file with the image's own Python, in the production
stage, once the venv and the project's wheel are installed. It lists:

- every distribution installed in the venv, with the hash of the one file it was installed
  from: the wheel in poetry.lock whose tags are those the installed WHEEL file records, else
  the sdist it was built from; a wheel built in this build (the project's, a path
  dependency's) by its own hash; a package quatrain pins (a server, setuptools) by its pin;
- the project itself (package mode: its wheel, by the hash of the file built in this build);
- the Python of the image, to the patch release, and the base image (by digest when given).

It reads only files (the venv, the lock, the build's wheels and pins), never the network or
the clock: the same image gives the same bytes. It needs `packaging` and, below Python 3.11,
`tomli`: Poetry's venv has both (--libraries). Usage:

    python sbom.py --venv /opt/venv --build DIR --libraries /opt/poetry --base-image REF \
        [--base-digest sha256:...] --output FILE
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

QUATRAIN_VERSION = "0.1.0"
# Where the production image keeps it: the FHS place for a package's documentation, outside
# /app (the user's sources) and outside the venv (the lock's alone).
SBOM_PATH = "/usr/share/doc/quatrain/sbom.cdx.json"
MEDIA_TYPE = "application/vnd.cyclonedx+json"
# The files of this build that the step reads, in the build stage's working directory.
PIN_FILES = ("requirements.server.txt", "requirements.setuptools.txt")


def canonical(name: str) -> str:
    """PEP 503's normalized name: the one spelling of a distribution's name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_tags(filename: str) -> frozenset[str]:
    """The tags a wheel's file name stands for, expanded: `cp312-cp312-a.b` is two tags."""
    parts = filename[: -len(".whl")].split("-")
    python, abi, platform = parts[-3:]
    return frozenset(
        f"{p}-{a}-{t}"
        for p in python.split(".")
        for a in abi.split(".")
        for t in platform.split(".")
    )


Locked = dict[str, list[tuple[str, list[dict[str, str]]]]]


def locked_files(lock: dict[str, Any]) -> Locked:
    """name -> [(version, the lock's files ({file, hash}))], for both places Poetry keeps the
    files: each package's `files` (Poetry 1.1 on) and the older `[metadata.files]` by name."""
    old = {canonical(n): f for n, f in lock.get("metadata", {}).get("files", {}).items()}
    found: Locked = {}
    for package in lock.get("package", []):
        name = canonical(package["name"])
        files = package.get("files") or old.get(name) or []
        found.setdefault(name, []).append((package["version"], files))
    return found


def pinned_hashes(build: Path) -> dict[str, tuple[str, str]]:
    """name -> (version, hash) of what quatrain pins beside the lock: one file each."""
    found = {}
    for name in PIN_FILES:
        path = build / name
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        for line in text.splitlines():
            match = re.match(r"\s*([A-Za-z0-9._-]+)==(\S+)\s+--hash=(\S+)\s*$", line)
            if match:
                found[canonical(match[1])] = (match[2], match[3])
    return found


class Distribution:
    """One distribution installed in the venv, as its .dist-info directory says."""

    def __init__(self, dist: Any) -> None:
        from packaging.requirements import Requirement

        self.name: str = dist.metadata["Name"]
        self.key = canonical(self.name)
        self.version: str = dist.metadata["Version"]
        self.summary: str = " ".join((dist.metadata["Summary"] or "").split())
        self.tags = frozenset(
            line[len("Tag:") :].strip()
            for line in (dist.read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")
        )
        self.extras = ["", *(dist.metadata.get_all("Provides-Extra") or [])]
        self.requires = [Requirement(line) for line in dist.requires or []]
        self.direct_url = json.loads(dist.read_text("direct_url.json") or "{}")


def same_version(one: str, other: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(one) == Version(other)
    except InvalidVersion:
        return one == other


def installed_from(
    dist: Distribution,
    locked: Locked,
    built: dict[str, Path],
    pins: dict[str, tuple[str, str]],
) -> tuple[str, str | None]:
    """(where it came from, its sha256 hash or None) for one installed distribution."""
    wheel = built.get(dist.key)
    if wheel is not None:
        return wheel.name, f"sha256:{sha256(wheel)}"
    vcs = dist.direct_url.get("vcs_info")
    if vcs:
        return f"{vcs.get('vcs', 'git')}+{dist.direct_url['url']}@{vcs['commit_id']}", None
    if dist.key in pins and same_version(pins[dist.key][0], dist.version):
        return "pinned by quatrain", pins[dist.key][1]
    releases = locked.get(dist.key, [])
    files = next((f for v, f in releases if same_version(v, dist.version)), None)
    if files is None:
        return "not in poetry.lock", None
    wheels = [f for f in files if f["file"].endswith(".whl")]
    match = next((f for f in wheels if wheel_tags(f["file"]) == dist.tags), None)
    if match is None:  # built from source here: the sdist is the file installed
        match = next((f for f in files if not f["file"].endswith(".whl")), None)
    if match is None:
        return "no file in poetry.lock has the installed tags", None
    return match["file"], match.get("hash")


def requirement_names(dist: Distribution, installed: set[str]) -> list[str]:
    """The installed distributions this one requires on this Python, under any of its extras."""
    names = set()
    for requirement in dist.requires:
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in dist.extras):
            names.add(canonical(requirement.name))
    return sorted(names & installed - {dist.key})


def purl(name: str, version: str, qualifiers: str = "") -> str:
    return f"pkg:pypi/{canonical(name)}@{quote(version, safe='')}{qualifiers}"


def hashes(value: str | None) -> dict[str, Any]:
    algorithms = {"sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}
    algorithm, _, content = (value or "").partition(":")
    if algorithm not in algorithms or not re.fullmatch(r"[0-9a-f]+", content):
        return {}
    return {"hashes": [{"alg": algorithms[algorithm], "content": content}]}


def component(dist: Distribution, source: str, digest: str | None) -> dict[str, Any]:
    vcs = f"?vcs_url={quote(source, safe='')}" if dist.direct_url.get("vcs_info") else ""
    reference = purl(dist.name, dist.version, vcs)
    return {
        "type": "library",
        "bom-ref": reference,
        "name": dist.name,
        "version": dist.version,
        **({"description": dist.summary} if dist.summary else {}),
        **hashes(digest),
        "purl": reference,
        "properties": [{"name": "quatrain:installed-from", "value": source}],
    }


def project_of(pyproject: dict[str, Any]) -> tuple[str, list[str]]:
    """The project's name and the names of its main dependencies, from either table."""
    from packaging.requirements import Requirement

    poetry = pyproject.get("tool", {}).get("poetry", {})
    project = pyproject.get("project", {})
    direct = [canonical(Requirement(r).name) for r in project.get("dependencies", [])]
    direct += [canonical(n) for n in poetry.get("dependencies", {}) if n.lower() != "python"]
    return project.get("name") or poetry.get("name", "project"), direct


def container(reference: str, digest: str) -> dict[str, Any]:
    slash, colon = reference.rfind("/"), reference.rfind(":")
    name, tag = (reference[:colon], reference[colon + 1 :]) if colon > slash else (reference, "")
    return {
        "type": "container",
        "bom-ref": f"image:{reference}",
        "name": name,
        **({"version": digest or tag} if digest or tag else {}),
        "description": f"The base image of the production stage, {reference}"
        + (f" at {digest}" if digest else ", by its reference (no digest was given)"),
    }


def sbom(
    venv: Path,
    build: Path,
    *,
    base_image: str,
    base_digest: str = "",
    python: str,
    more_venvs: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """The SBOM of the venv and the project in `build`, as a JSON document. `more_venvs`: the
    same venv's other layers, staged apart (the daemonless build's project layer)."""
    import importlib.metadata

    site = [
        path
        for root in (venv, *more_venvs)
        for path in sorted(glob.glob(str(root / "lib" / "python*" / "site-packages")))
    ]
    dists = [Distribution(d) for d in importlib.metadata.distributions(path=site)]
    dists.sort(key=lambda d: d.key)
    lock = load_toml(build / "poetry.lock") if (build / "poetry.lock").is_file() else {}
    name, direct = project_of(load_toml(build / "pyproject.toml"))
    built = {canonical(w.name.split("-")[0]): w for w in sorted(build.glob("dist/*.whl"))}
    locked, pins = locked_files(lock), pinned_hashes(build)
    installed = {d.key for d in dists}

    own = next((d for d in dists if d.key == canonical(name)), None)
    if own is not None:  # package mode: the project is installed from its own wheel
        root = component(own, *installed_from(own, locked, built, pins))
        root["type"] = "application"
        root_requires = requirement_names(own, installed)
    else:  # package-mode = false: the sources, no distribution
        root = {"type": "application", "bom-ref": f"project:{canonical(name)}", "name": name}
        root_requires = sorted(set(direct) & installed)
    libraries = {d.key: d for d in dists if d is not own}
    components = {
        k: component(d, *installed_from(d, locked, built, pins)) for k, d in libraries.items()
    }
    refs = {key: c["bom-ref"] for key, c in components.items()}
    interpreter = {
        "type": "platform",
        "bom-ref": "python",
        "name": "cpython",
        "version": python,
        "purl": f"pkg:generic/cpython@{python}",
        "description": "The Python of the image",
    }
    image = container(base_image, base_digest)
    dependencies = [
        {"ref": root["bom-ref"], "dependsOn": [refs[n] for n in root_requires if n in refs]},
        *(
            {"ref": refs[d.key], "dependsOn": [refs[n] for n in requirement_names(d, installed)]}
            for d in libraries.values()
        ),
        {"ref": "python"},
        {"ref": image["bom-ref"]},
    ]
    document = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "tools": {
                "components": [
                    {"type": "application", "name": "quatrain", "version": QUATRAIN_VERSION}
                ]
            },
            "component": root,
        },
        "components": [*components.values(), interpreter, image],
        "dependencies": [{k: v for k, v in d.items() if v != []} for d in dependencies],
    }
    # Derived from the rest, so that the same image gives the same bytes.
    content = hashlib.sha256(text_of(document).encode("utf-8")).hexdigest()
    document["serialNumber"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'quatrain:{content}')}"
    return document


def text_of(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


def load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.9 and 3.10: Poetry's venv has tomli
        import tomli as tomllib
    with path.open("rb") as file:
        loaded: dict[str, Any] = tomllib.load(file)
    return loaded


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path("/opt/venv"))
    parser.add_argument("--build", type=Path, required=True, help="the build stage's workdir")
    parser.add_argument("--libraries", type=Path, help="a venv that has packaging and tomli")
    parser.add_argument("--base-image", required=True)
    parser.add_argument("--base-digest", default="")
    parser.add_argument("--output", type=Path, default=Path(SBOM_PATH))
    args = parser.parse_args(argv)
    if args.libraries:  # after the image's own: its stdlib, then Poetry's packages
        sys.path.extend(sorted(glob.glob(str(args.libraries / "lib/python*/site-packages"))))
    python = "{}.{}.{}".format(*sys.version_info[:3])
    document = sbom(
        args.venv, args.build, base_image=args.base_image, base_digest=args.base_digest,
        python=python,
    )  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text_of(document), encoding="utf-8")


if __name__ == "__main__":
    main()
