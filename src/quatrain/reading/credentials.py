"""Credentials of private package sources, found where Poetry finds them, handed to the build
as BuildKit secret files (an auth.toml for Poetry, a .netrc for uv): never as build args,
never in ENV, never in a layer, never in a URL that pyproject.toml or poetry.lock carries in.

Which sources are private is decided by the project alone: the sources the private-sources
option names ([tool.quatrain], QUATRAIN_PRIVATE_SOURCES or --private-sources), each of which
must be a [[tool.poetry.source]] with a url. Credentials set in the environment or in Poetry's
auth.toml never add a source, so everyone who runs `quatrain init` on the same project commits
the same Dockerfile. `quatrain build` then needs the credentials of every private source and
stops before the engine when one is missing; credentials found for a source the option does
not name are only a warning, since the Dockerfile mounts no secret for it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import tomli_w

from quatrain.errors import ConfigurationError, ProjectError
from quatrain.reading.project import PackageSource, Project

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


def refuse_credentials_in_urls(project: Project) -> None:
    """A user name or password in a source's url (or in a locked package's) would be copied
    into the images with pyproject.toml and poetry.lock: refused, with the way that keeps it
    out of them."""
    for source in project.sources:
        if source.url and _has_credentials(urlsplit(source.url)):
            user, password = variables(source.name)
            msg = (
                f"The [[tool.poetry.source]] {source.name!r} in {project.root / 'pyproject.toml'} "
                f"has credentials in its url ({_redacted(source.url)}), and pyproject.toml is "
                "copied into the images. Remove them from the url and run `poetry lock`; pass "
                f"them as secrets instead: set {user} and {password} (or run `poetry config "
                f"http-basic.{source.name} USER PASSWORD`, which writes Poetry's auth.toml), and "
                f'name the source in [tool.quatrain] private-sources = ["{source.name}"].'
            )
            raise ProjectError(msg)
    for package in project.lock.packages if project.lock else ():
        url = package.source_url or ""
        if package.source_type in ("legacy", "git", "url") and _has_credentials(urlsplit(url)):
            msg = (
                f"poetry.lock in {project.root} has credentials in the url of {package.name} "
                f"({_redacted(url)}), and poetry.lock is copied into the images. Remove them "
                "from the url in pyproject.toml and run `poetry lock`; a private source's "
                "credentials go in POETRY_HTTP_BASIC_<SOURCE>_USERNAME/_PASSWORD or Poetry's "
                "auth.toml, and reach the build as secrets."
            )
            raise ProjectError(msg)


def _has_credentials(url: SplitResult) -> bool:
    # ssh names the account to log in to (git@github.com), which is no secret; over http a
    # user name alone is often the token itself.
    if url.password is not None:
        return True
    return url.username is not None and not url.scheme.endswith("ssh")


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"***@{host}").geturl()


def private_sources(project: Project, declared: Sequence[str]) -> tuple[PackageSource, ...]:
    """The sources the private-sources option names: the project decides, not the machine."""
    known = {source.name: source for source in project.sources if source.url}
    unknown = sorted(set(declared) - set(known))
    if unknown:
        msg = (
            f"private-sources names {', '.join(unknown)}, but pyproject.toml declares no "
            f"[[tool.poetry.source]] with a url by that name (it has: "
            f"{', '.join(known) or 'none'})."
        )
        raise ConfigurationError(msg)
    return tuple(source for name, source in sorted(known.items()) if name in declared)


def collect(sources: tuple[PackageSource, ...], env: Mapping[str, str]) -> list[Credential]:
    """The credentials of each private source, or an error naming what to set."""
    if not sources:
        return []
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


def unused(
    project: Project, private: tuple[PackageSource, ...], env: Mapping[str, str]
) -> list[str]:
    """A warning for each source with credentials here that is not private: the Dockerfile
    mounts no secret for it, so the build reaches it without them."""
    others = [s.name for s in project.sources if s.url and s not in private]
    stored = poetry_auth(env) if others else {}
    return [
        f"Credentials for the source {name} are set here, but private-sources does not name "
        "it, so the build reaches it without them (the Dockerfile depends on the project "
        f'alone). If it needs them, add private-sources = ["{name}"] to [tool.quatrain].'
        for name in sorted(others)
        if _lookup(name, env, stored) is not None
    ]


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
    auth = _auth_toml_path(env)
    if not auth.is_file():
        return {}
    try:
        with auth.open("rb") as file:
            data = tomllib.load(file)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        msg = (
            f"Poetry's auth.toml at {auth} cannot be read: {error}. Fix or remove it (`poetry "
            "config --list` shows what Poetry reads), or set POETRY_CONFIG_DIR to another "
            "directory; credentials can also come from POETRY_HTTP_BASIC_<SOURCE>_USERNAME and "
            "_PASSWORD."
        )
        raise ConfigurationError(msg) from error
    table = data.get("http-basic", {})
    entries = table if isinstance(table, dict) else {}
    wrong = sorted(name for name, entry in entries.items() if not isinstance(entry, dict))
    if not isinstance(table, dict) or wrong:
        where = "[http-basic]" if not isinstance(table, dict) else f"http-basic.{wrong[0]}"
        msg = (
            f"Poetry's auth.toml at {auth} has {where} as a value, where Poetry keeps a table "
            "with username and password. Fix it with `poetry config http-basic.<source> USER "
            "PASSWORD`, or remove it."
        )
        raise ConfigurationError(msg)
    return entries


def _auth_toml_path(env: Mapping[str, str]) -> Path:
    if "POETRY_CONFIG_DIR" in env:
        directory = Path(env["POETRY_CONFIG_DIR"])
    else:
        config_home = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")) / ".config")
        directory = Path(config_home).expanduser() / "pypoetry"
    return directory / "auth.toml"


def auth_toml(credentials: list[Credential]) -> str:
    """Poetry's auth.toml for the given credentials, by a TOML writer: any text round-trips."""
    return tomli_w.dumps(
        {
            "http-basic": {
                c.source: {"username": c.username, "password": c.password} for c in credentials
            }
        }
    )


def netrc(credentials: list[Credential]) -> str:
    """A .netrc for uv, which installs the exported requirements from the same sources.

    uv's netrc crate (rust-netrc) lexes as Python's netrc does since 3.11: a token is quoted
    with double quotes, a backslash takes the next character as it is; curl reads the same
    quoting within one line. A value with a space, a quote, a backslash or a `#` is quoted;
    a control character (a line break above all) has no spelling all three read alike, and is
    refused: it would end the entry and start another.
    """
    by_host: dict[str, Credential] = {}
    for c in credentials:
        first = by_host.setdefault(c.host, c)
        if (first.username, first.password) != (c.username, c.password):
            msg = (
                f"The private sources {first.source} and {c.source} are both on {c.host}, with "
                "different credentials. uv, which installs the production image's dependencies, "
                "reads them from a .netrc, which holds one login per host. Give both sources the "
                "same credentials (a token that reads both, for instance)."
            )
            raise ConfigurationError(msg)
    return "".join(
        f"machine {_netrc_token(c.host, 'host', c)} "
        f"login {_netrc_token(c.username, 'user name', c)} "
        f"password {_netrc_token(c.password, 'password', c)}\n"
        for c in by_host.values()
    )


def _netrc_token(value: str, what: str, credential: Credential) -> str:
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        user, password = variables(credential.source)
        msg = (
            f"The {what} of the private source {credential.source!r} has a control character "
            "(a line break, a tab, ...), which a .netrc cannot hold: uv would read another "
            f"entry from it. Set {user} and {password} (or Poetry's auth.toml) without it; a "
            "trailing line break often comes from `echo` or a file read as it is."
        )
        raise ConfigurationError(msg)
    if value and not any(ch in value for ch in ' "\\#'):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
