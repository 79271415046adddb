"""An OCI image layout on disk (image-spec's image-layout.md): `oci-layout`, `index.json` and
`blobs/sha256/`. skopeo reads and writes the same directories, so what is assembled here is
pushed, loaded or copied by skopeo, and a base image skopeo copied in is read here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int

    def as_json(self, **more: Any) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **more}


def canonical_json(value: Any) -> bytes:
    """One spelling of a JSON value: sorted keys, no spaces. The digest is of these bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.blobs.mkdir(parents=True, exist_ok=True)
        marker = root / "oci-layout"
        if not marker.exists():
            marker.write_text('{"imageLayoutVersion":"1.0.0"}')
        if not (root / "index.json").exists():
            self._write_index({"schemaVersion": 2, "manifests": []})

    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest.removeprefix("sha256:")

    def read_json(self, digest: str) -> Any:
        return json.loads(self.blob_path(digest).read_bytes())

    def put(self, data: bytes, media_type: str) -> Descriptor:
        digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
        path = self.blob_path(digest)
        if not path.exists():
            path.write_bytes(data)
        return Descriptor(media_type, digest, len(data))

    def put_json(self, value: Any, media_type: str) -> Descriptor:
        return self.put(canonical_json(value), media_type)

    def manifest(
        self, config: Descriptor, layers: Sequence[Descriptor], annotations: Mapping[str, str]
    ) -> Descriptor:
        body: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config.as_json(),
            "layers": [layer.as_json() for layer in layers],
        }
        if annotations:
            body["annotations"] = dict(annotations)
        return self.put_json(body, OCI_MANIFEST)

    def image_index(self, manifests: Sequence[tuple[Descriptor, Mapping[str, str]]]) -> Descriptor:
        """An index of per-platform manifests, each with its `platform` (architecture, os)."""
        body = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [d.as_json(platform=dict(p)) for d, p in manifests],
        }
        return self.put_json(body, OCI_INDEX)

    def tag(self, name: str, descriptor: Descriptor) -> None:
        """Point the reference `name` of index.json at the descriptor (replacing it)."""
        index = json.loads((self.root / "index.json").read_text())
        kept = [
            m for m in index.get("manifests", []) if m.get("annotations", {}).get(REF_NAME) != name
        ]
        kept.append(descriptor.as_json(annotations={REF_NAME: name}))
        index["manifests"] = sorted(
            kept, key=lambda m: m["annotations"].get(REF_NAME, "") if "annotations" in m else ""
        )
        self._write_index(index)

    def resolve(self, name: str) -> Descriptor:
        """The descriptor a reference of index.json names."""
        index = json.loads((self.root / "index.json").read_text())
        for entry in index.get("manifests", []):
            if entry.get("annotations", {}).get(REF_NAME) == name:
                return Descriptor(entry["mediaType"], entry["digest"], entry["size"])
        msg = f"{self.root} has no image named {name!r}"
        raise KeyError(msg)

    def _write_index(self, index: Mapping[str, Any]) -> None:
        (self.root / "index.json").write_bytes(canonical_json(index))
