"""Files for one layer, and the layer itself: a tar whose bytes follow from the files alone.

Every entry is owned by the uid and gid the entry says (root by default), with a mode that is
0644 or 0755 by whether the file was executable (never the umask of the machine that staged
it), dated SOURCE_DATE_EPOCH, in one order (path components sorted, parents first), with no
user or group names. The gzip stream has no name and no time: its bytes depend on the tar and
on zlib (the same Python on the same distribution gives the same bytes).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

GZIP_LEVEL = 6  # what Docker and skopeo use: the same level gives the same bytes
_CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True)
class Entry:
    path: str  # absolute in the image: /opt/venv/bin/python
    kind: Literal["dir", "file", "symlink"]
    mode: int = 0o755
    uid: int = 0
    gid: int = 0
    data: bytes | None = None  # a file's content, or
    source: Path | None = None  # the file to read it from
    target: str = ""  # a symlink's


@dataclass(frozen=True, kw_only=True)
class Layer:
    blob: Path  # the gzip-compressed tar
    digest: str  # sha256 of the blob: the manifest's
    diff_id: str  # sha256 of the tar: the config's
    size: int


def staged(
    root: Path, at: str, *, owner: Mapping[str, tuple[int, int, int]] | None = None
) -> list[Entry]:
    """The entries for a directory staged on disk, placed at `at` in the image; `owner` gives
    a path's (uid, gid, mode) where it is not root's with the normal mode."""
    owner = owner or {}
    entries = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in [*dirs, *sorted(files)]:
            path = Path(directory, name)
            image_path = str(PurePosixPath(at, path.relative_to(root).as_posix()))
            entries.append(entry_of(path, image_path, owner.get(image_path)))
    return entries


def entry_of(path: Path, image_path: str, owned: tuple[int, int, int] | None = None) -> Entry:
    """One file, directory or symlink on disk as an entry at `image_path`."""
    info = path.lstat()
    uid, gid, mode = owned or (0, 0, -1)
    if stat.S_ISLNK(info.st_mode):
        return Entry(path=image_path, kind="symlink", mode=0o777, target=os.readlink(path))
    if stat.S_ISDIR(info.st_mode):
        return Entry(
            path=image_path, kind="dir", mode=0o755 if mode < 0 else mode, uid=uid, gid=gid
        )
    executable = info.st_mode & 0o111
    normal = 0o755 if executable else 0o644
    return Entry(
        path=image_path, kind="file", mode=normal if mode < 0 else mode, uid=uid, gid=gid,
        source=path,
    )  # fmt: skip


def with_parents(entries: Iterable[Entry]) -> list[Entry]:
    """The entries, and a root-owned 0755 directory for each parent none of them is, sorted so
    that a directory comes before what it holds."""
    given = {e.path: e for e in entries}
    for path in list(given):
        for parent in PurePosixPath(path).parents:
            if str(parent) != "/" and str(parent) not in given:
                given[str(parent)] = Entry(path=str(parent), kind="dir")
    return sorted(given.values(), key=lambda e: PurePosixPath(e.path).parts)


def write_layer(entries: Iterable[Entry], *, directory: Path, epoch: int) -> Layer:
    """The layer of these entries, its blob written into `directory` under its digest."""
    directory.mkdir(parents=True, exist_ok=True)
    raw = directory / ".layer.tar"
    with raw.open("wb") as out:
        _tar(with_parents(entries), out, epoch)
    diff_id = _sha256_of(raw)
    packed = directory / ".layer.tar.gz"
    with (
        raw.open("rb") as source,
        packed.open("wb") as out,
        gzip.GzipFile(
            filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=out, mtime=0
        ) as zipped,
    ):
        while block := source.read(_CHUNK):
            zipped.write(block)
    raw.unlink()
    digest = _sha256_of(packed)
    blob = directory / digest.removeprefix("sha256:")
    packed.replace(blob)
    return Layer(blob=blob, digest=digest, diff_id=diff_id, size=blob.stat().st_size)


def _tar(entries: list[Entry], out: BinaryIO, epoch: int) -> None:
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.path.lstrip("/"))
            info.mtime = epoch
            info.mode = entry.mode
            info.uid, info.gid = entry.uid, entry.gid
            info.uname = info.gname = ""
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif entry.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = entry.target
                tar.addfile(info)
            else:
                content = entry.data if entry.data is not None else _read(entry.source)
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))


def _read(source: Path | None) -> bytes:
    assert source is not None, "a file entry has data or a source"
    return source.read_bytes()


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_CHUNK):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"
