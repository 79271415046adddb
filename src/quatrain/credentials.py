"""Credentials of private package sources, found where Poetry finds them, handed to the build
as BuildKit secret files (an auth.toml for Poetry, a .netrc for pip): never as build args,
never in ENV, never in a layer.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from quatrain.errors import ConfigurationError
from quatrain.project import PackageSource, Project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

POETRY_AUTH_SECRET = "poetry-auth"  # mounted at /root/.config/pypoetry/auth.toml
NETRC_SECRET = "netrc"  # mounted at /root/.netrc


@dataclass(frozen=True, kw_only=True)
class Credential:
    source: str
    host: str
    username: str
    password: str = field(repr=False)


def variables(source: str) -> tuple[str, str]:
    """Poetry's variable names: `my-repo` -> POETRY_HTTP_BASIC_MY_REPO_USERNAME/_PASSWORD."""
    key = source.upper().replace("-", "_")
    return f"POETRY_HTTP_BASIC_{key}_USERNAME", f"POETRY_HTTP_BASIC_{key}_PASSWORD"


def private_sources(
    project: Project, declared: Sequence[str], env: Mapping[str, str]
) -> tuple[PackageSource, ...]:
    """The sources named in the private-sources option, and every source with credentials."""
    known = {source.name: source for source in project.sources if source.url}
    unknown = sorted(set(declared) - set(known))
    if unknown:
        msg = (
            f"private-sources names {', '.join(unknown)}, but pyproject.toml declares no "
            f"[[tool.poetry.source]] with a url by that name (it has: "
            f"{', '.join(known) or 'none'})."
        )
        raise ConfigurationError(msg)
    stored = poetry_auth(env)
    return tuple(
        source
        for name, source in sorted(known.items())
        if name in declared or _lookup(name, env, stored) is not None
    )


def collect(sources: tuple[PackageSource, ...], env: Mapping[str, str]) -> list[Credential]:
    """The credentials of each private source, or an error naming what to set."""
    stored = poetry_auth(env)
    found, missing = [], []
    for source in sources:
        pair = _lookup(source.name, env, stored)
        if pair is None:
            missing.append(source.name)
            continue
        host = urlsplit(source.url or "").hostname or ""
        found.append(Credential(source=source.name, host=host, username=pair[0], password=pair[1]))
    if missing:
        wanted = "; ".join(" and ".join(variables(name)) for name in missing)
        msg = (
            f"The private source(s) {', '.join(missing)} need credentials, and none were found. "
            f"Set {wanted} (or run `poetry config http-basic.{missing[0]} USER PASSWORD`). "
            "They reach the build as BuildKit secrets only."
        )
        raise ConfigurationError(msg)
    return found


def _lookup(
    name: str, env: Mapping[str, str], stored: Mapping[str, Mapping[str, str]]
) -> tuple[str, str] | None:
    user_var, password_var = variables(name)
    if user_var in env or password_var in env:
        return env.get(user_var, ""), env.get(password_var, "")
    entry = stored.get(name)
    if entry is not None:
        return str(entry.get("username", "")), str(entry.get("password", ""))
    return None


def poetry_auth(env: Mapping[str, str]) -> Mapping[str, Mapping[str, str]]:
    """The [http-basic] table of Poetry's auth.toml, where Poetry's config dir says it is."""
    if "POETRY_CONFIG_DIR" in env:
        directory = Path(env["POETRY_CONFIG_DIR"])
    else:
        config_home = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")) / ".config")
        directory = Path(config_home).expanduser() / "pypoetry"
    auth = directory / "auth.toml"
    if not auth.is_file():
        return {}
    with auth.open("rb") as file:
        table = tomllib.load(file).get("http-basic", {})
    return table if isinstance(table, dict) else {}


def auth_toml(credentials: list[Credential]) -> str:
    """Poetry's auth.toml for the given credentials."""
    lines = []
    for credential in credentials:
        lines += [
            f"[http-basic.{_toml_key(credential.source)}]",
            f"username = {_toml_string(credential.username)}",
            f"password = {_toml_string(credential.password)}",
            "",
        ]
    return "\n".join(lines)


def netrc(credentials: list[Credential]) -> str:
    """A .netrc for pip, which installs the exported requirements from the same sources."""
    return "".join(
        f"machine {c.host} login {c.username} password {c.password}\n" for c in credentials
    )


def _toml_key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() else _toml_string(key)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
