"""The plan: everything decided about a project before the disk or the engine is touched, and
what one build of it asks for. Values only; pipeline.make_plan makes a Plan, the later stages
(building, checking) read it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from quatrain.choosing import images
from quatrain.dockerfile.render import Layout
from quatrain.reading.project import PackageSource, Project
from quatrain.settings.resolution import ResolvedOptions
from quatrain.spec import ServeSpec

Target = Literal["production", "development"]
TARGETS: tuple[Target, ...] = ("production", "development")


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Everything decided before the disk or the engine is touched."""

    project: Project
    resolved: ResolvedOptions
    spec: ServeSpec
    base_images: images.BaseImages
    files: Mapping[str, str]  # path relative to the project -> content (unstamped)
    # The Dockerfile a build without init uses: its SBOM step comes from quatrain, not the context.
    build_dockerfile: str = ""
    # What the lock asks of the images beyond its packages (Debian packages, setuptools...).
    needs: images.LockNeeds = field(default_factory=images.LockNeeds)
    private_sources: tuple[PackageSource, ...] = ()
    context: Path = Path()  # the build context: the project, or its monorepo's root
    layout: Layout = field(default_factory=Layout)
    warnings: tuple[str, ...] = ()  # for people, before anything is built
    init_notes: tuple[str, ...] = ()  # for people, when init writes the files


@dataclass(frozen=True, kw_only=True)
class BuildRequest:
    target: Target = "production"
    tag: str | None = None
    extra_tags: tuple[str, ...] = ()  # more names of the same image
    push: bool = False  # push every tag once built
    cache_from: tuple[str, ...] = ()  # passed through to the builder
    cache_to: tuple[str, ...] = ()
    build_args: Mapping[str, str] = field(default_factory=dict)
