"""The production image assembled from the lock, without a container engine (`--engine none`).

What the Dockerfile's production stage holds, made here as OCI layers: the base image read with
skopeo (registry, OCI layout or the local engine), one layer for the app's user and
directories, one with the locked runtime dependencies installed into /opt/venv from the lock's
wheels for the target platform (every hash checked, nothing compiled), one with the project
(its wheel, its sources, the SBOM). Every byte follows from the project, the lock, the base
image and SOURCE_DATE_EPOCH: two machines give one digest.

A stage beside building/ rather than an engine under engines/: it needs the plan's decisions
(the production stage's user, environment, command and labels), which the engines, below the
plan, never see. Transport (registries, the local engine) is skopeo's, never our own client.

platform.py   target platforms (linux/amd64, linux/arm64) and their names in each world
epochs.py     the times the files carry (SOURCE_DATE_EPOCH, the commits'), the cache's place
tree.py       files -> one deterministic layer (tar, gzip)
layout.py     the OCI image layout: blobs, config, manifest, index
base.py       the base image: copied into the layout, its config and the files we extend
venv.py       the lock's wheels for a platform: chosen, downloaded by pip, installed
wheel.py      the project's wheel, by its own build backend
config.py     the image's config: the production stage's instructions as data
assemble.py   the whole image, one platform or several
transport.py  skopeo: base images in, images out (push, load, another layout)
"""
