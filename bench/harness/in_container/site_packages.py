"""Run inside a container: print {path: bytes} for every entry of the given directories, or of
the interpreter's site-packages directories when none is given (file sizes, links not followed)."""

import json
import os
import sys


def entry_bytes(entry: os.DirEntry[str]) -> int:
    if not entry.is_dir(follow_symlinks=False):
        return entry.stat(follow_symlinks=False).st_size
    total = 0
    for root, _, files in os.walk(entry.path):
        total += sum(os.lstat(os.path.join(root, name)).st_size for name in files)
    return total


def site_directories() -> list[str]:
    suffixes = ("site-packages", "dist-packages")
    return sorted({p for p in sys.path if p.endswith(suffixes) and os.path.isdir(p)})


def main() -> None:
    sizes = {}
    for directory in sys.argv[1:] or site_directories():
        for entry in os.scandir(directory):
            sizes[os.path.join(directory, entry.name)] = entry_bytes(entry)
    print(json.dumps(sizes))


if __name__ == "__main__":
    main()
