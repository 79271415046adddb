"""The image's config: the base image's, with what the production stage's instructions set
(ENV, USER, WORKDIR, ENTRYPOINT, CMD, EXPOSE, HEALTHCHECK, LABEL), the new layers' diff_ids and
history, and one time, SOURCE_DATE_EPOCH's."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from quatrain.assembling.base import BaseImage
from quatrain.assembling.tree import Layer
from quatrain.dockerfile import render
from quatrain.dockerfile.quoting import Expansion
from quatrain.plan import Plan

HEALTHCHECK_SECONDS = {"Interval": 30, "Timeout": 5, "StartPeriod": 10}
_NANOSECONDS = 1_000_000_000


def image_config(
    plan: Plan, base: BaseImage, layers: Sequence[Layer], epoch: int
) -> dict[str, Any]:
    """The base's config with what the production stage's instructions set."""
    options, spec, project = plan.resolved.options, plan.spec, plan.project
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    config = dict(base.config.get("config") or {})
    environment = dict(base.env)
    for key, value in render.production_env(spec, options):
        environment[key] = _expanded(value, environment)
    config["Env"] = [f"{k}={v}" for k, v in environment.items()]
    config["User"] = f"{options.uid}:{options.uid}"
    config["WorkingDir"] = render.production_dirs(project, spec, plan.layout).workdir
    if spec.production_entrypoint:
        config["Entrypoint"] = list(spec.production_entrypoint)
    config["Cmd"] = list(options.command or spec.production_command)
    if spec.http:
        config["ExposedPorts"] = {**(config.get("ExposedPorts") or {}), f"{options.port}/tcp": {}}
        config["Healthcheck"] = {
            "Test": ["CMD", *render.healthcheck(options.port)],
            **{k: v * _NANOSECONDS for k, v in HEALTHCHECK_SECONDS.items()},
            "Retries": 3,
        }
    labels = dict(config.get("Labels") or {})
    for key, value in render.labels(project, options).items():
        text = project.revision or "" if isinstance(value, Expansion) else value
        if text:
            labels[key] = text
    config["Labels"] = labels
    history = [
        *base.config.get("history", []),
        *(
            {"created": created, "created_by": f"quatrain (daemonless): {what}"}
            for what in (
                "the app's user",
                "the locked dependencies in /opt/venv",
                "the project and its SBOM",
            )
        ),
    ]
    found = {
        **{
            k: v
            for k, v in base.config.items()
            if k in ("architecture", "os", "variant", "os.version")
        },
        "created": created,
        "config": config,
        "rootfs": {
            "type": "layers",
            "diff_ids": [*base.config["rootfs"]["diff_ids"], *(layer.diff_id for layer in layers)],
        },
        "history": history,
    }
    json.dumps(found)  # every value is JSON
    return found


def _expanded(value: str | Expansion, environment: Mapping[str, str]) -> str:
    """An ENV value as Docker sets it: `$PATH` from the environment so far."""
    if not isinstance(value, Expansion):
        return value
    text = value.text
    for key, known in sorted(environment.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(f"${{{key}}}", known).replace(f"${key}", known)
    return text
