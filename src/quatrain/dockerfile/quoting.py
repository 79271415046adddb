"""Escaping for the generated files: one function per Dockerfile context; compose.yaml's scalars.

Each function returns text that BuildKit reads back as exactly the value given, or raises
ConfigurationError when no escaping can make the value safe. No value from the user's
options or the project's metadata reaches the template any other way.

The rules are BuildKit's own (moby/buildkit frontend/dockerfile): parser/parser.go reads
lines (`\\n` ends one, a trailing `\\` continues it), parser/line_parsers.go splits
arguments (parseWords for ENV/LABEL/ARG, a JSON array or whitespace for COPY), and
shell/lex.go (ProcessWord) then removes quotes and expands `$VAR` in ENV, LABEL, ARG, COPY,
WORKDIR, USER and FROM, but not in RUN, CMD or ENTRYPOINT. They assume the default escape
character `\\`: the template never writes an `# escape=` directive.
"""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from quatrain.errors import ConfigurationError
from quatrain.log import is_breaking, one_line

# Plain words that stay unquoted, so that ordinary values read as `ENV PORT=8888`.
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_./:@+,%=~-]+", re.ASCII)
_PLAIN_LABEL_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*", re.ASCII)
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./@+-]*", re.ASCII)
_MOUNT_PATH = re.compile(r"/[A-Za-z0-9_./@+-]*", re.ASCII)
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
# Debian Policy 5.6.1; PEP 508 names (extras); Poetry's group names follow the same rule.
_DEBIAN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+", re.ASCII)
_PYTHON_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", re.ASCII)
# useradd's default NAME_REGEX (shadow's login.defs), without the trailing `$` of machine accounts.
_USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}", re.ASCII)
# distribution/reference v0.5.0 reference.go: name[:tag][@digest].
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"(?P<name>{_NAME})(?::{_TAG})?(?:@{_DIGEST})?", re.ASCII)
_NAME_TOTAL_LENGTH_MAX = 255


@dataclass(frozen=True)
class Expansion:
    """Text quatrain writes itself for Docker to expand, like `/opt/venv/bin:$PATH` or
    `python:${PYTHON_VERSION}-slim`: pasted as it is. Never build one from a user's value."""

    text: str


def exec_form(argv: Sequence[str], *, what: str = "the command") -> str:
    """A JSON array for CMD, ENTRYPOINT, HEALTHCHECK CMD or RUN in exec form.

    Exec form expands no variable, so `$` stays as it is; JSON escapes newlines and quotes.
    Invisible characters (controls, bidi overrides, line separators) are written as `\\uXXXX`
    so the line shows what it runs. Refused: NUL, which no argv can hold (execve's strings end
    at it), and lone surrogates, which have no UTF-8 form.
    """
    if not argv:
        raise _refusal(what, list(argv), "is empty", "give at least the program to run")
    for arg in argv:
        _refuse(arg, what, _is_nul_or_surrogate)
    text = json.dumps(list(argv), ensure_ascii=False)
    return "".join(_json_escape(c) if _is_invisible(c) and c != " " else c for c in text)


def copy_paths(sources: Sequence[str], dest: str, *, what: str = "a copied path") -> str:
    """The arguments of COPY/ADD: `src... dest`, or a JSON array when a path needs one.

    COPY splits a plain line at whitespace and reads `--x` as a flag, so anything but plain
    characters takes the JSON form; inside it, each path still goes through ProcessWord, so
    `\\ " ' $ <` are escaped with `\\` (`<` too: a source spelled `<<X` would be a heredoc).
    Sources are relative to the build context with no `..` and no glob character (COPY would
    match `*?[` as patterns); whether a source exists in the project is project.py's check.
    """
    if not sources:
        raise _refusal(what, dest, "has no source", "name at least one source")
    for source in sources:
        check_context_path(source, what=what)
    if not dest:
        raise _refusal(what, dest, "is empty", "name a destination")
    _refuse(dest, what, _is_invisible_in_path)
    paths = [*sources, dest]
    if all(_PLAIN_PATH.fullmatch(p) for p in paths):
        return " ".join(paths)
    return json.dumps([re.sub(r"""([\\"'$<])""", r"\\\1", p) for p in paths], ensure_ascii=False)


def check_context_path(path: str, *, what: str = "a path in the build context") -> str:
    """A path relative to the build context, as COPY sources and .dockerignore lines take it:
    no `..`, not absolute, no glob character (COPY would match `* ? [` as a pattern and `\\`
    escapes one), nothing invisible. Check project_dir and path dependencies with it early,
    where the Layout is made; whether the path exists is project.py's business."""
    if not path:
        raise _refusal(what, path, "is empty", "name a file or directory of the project")
    _refuse(path, what, _is_invisible_in_path)
    if path.startswith("/") or ".." in PurePosixPath(path).parts:
        raise _refusal(what, path, "leaves the build context", "use a path inside the project")
    if any(c in path for c in "*?[\\"):
        raise _refusal(what, path, "holds a glob character (* ? [ \\)", "rename it")
    return path


def dockerignore_line(path: str, *, what: str = "an ignored path") -> str:
    """A literal .dockerignore line: a context path that does not start as a comment (`#`)
    or an exception (`!`) would."""
    if check_context_path(path, what=what)[0] in "#!":
        raise _refusal(what, path, "starts with # or !", "rename it")
    return path


def mount_path(path: str, *, what: str = "a mount path") -> str:
    """A path inside `RUN --mount=...,source=PATH,target=PATH`: the option is a flag word, then
    CSV, then expanded, so only characters none of those read are allowed; better still, mount
    fixed paths of quatrain's own."""
    if not _MOUNT_PATH.fullmatch(path):
        raise _refusal(
            what, path, "is not a plain absolute path", "use letters, digits, _ . / @ + -"
        )
    return path


def env_key(name: str, *, what: str = "an environment variable") -> str:
    """An ENV or ARG name: a shell variable name, so `$NAME` can refer to it."""
    if not _VARIABLE_NAME.fullmatch(name):
        raise _refusal(
            what,
            name,
            "is not a variable name",
            "use letters, digits and _, not starting with a digit",
        )
    return name


def env_value(value: str | Expansion, *, what: str = "an ENV value") -> str:
    """An ENV value: plain, or double-quoted with `\\ " $` escaped, so Docker expands nothing."""
    return _quoted_word(value, what)


def label_key(name: str, *, what: str = "a label name") -> str:
    """A LABEL key: plain for `org.opencontainers.image.title`, double-quoted otherwise.

    The parser splits `key=value` at the first `=` even inside quotes, so a key with `=`
    cannot be written at all.
    """
    if not name or "=" in name:
        raise _refusal(what, name, "is empty or holds '='", "use a key like org.example.name")
    # Quoted unless plain: a bare `--x` first on the line would be read as a flag of LABEL.
    return _quoted_word(name, what, _PLAIN_LABEL_KEY)


def label_value(value: str | Expansion, *, what: str = "a label value") -> str:
    """A LABEL value: the same rules as an ENV value."""
    return _quoted_word(value, what)


def arg_default(value: str | Expansion, *, what: str = "a build argument's default") -> str:
    """The default in `ARG NAME=default`: ARG values go through the same ProcessWord as ENV."""
    return _quoted_word(value, what)


def workdir(path: str, *, what: str = "a working directory") -> str:
    """A WORKDIR path: absolute (a relative one would depend on the previous WORKDIR), quoted
    like an ENV value because WORKDIR is expanded the same way."""
    if not path.startswith("/"):
        raise _refusal(what, path, "is not absolute", "start it with /")
    return _quoted_word(path, what)


def comment(text: str) -> str:
    """Text for a `#` comment. Characters that would end the line or hide what it says are
    replaced by their visible escape (`\\n`, `\\u2028`), rather than refused: a comment only
    documents a value that its own instruction escapes or refuses."""
    return one_line(text)


def shell_word(value: str, *, what: str = "a shell word") -> str:
    """One word of a RUN shell line, quoted as POSIX sh reads it (BuildKit leaves RUN alone).

    A newline inside quotes would still end the Dockerfile line, so it is refused: pass such
    arguments in exec form. shlex.quote's output is either plain or starts with `'`, so it
    can never read as a heredoc (`<<X`) or end with a continuation `\\`.
    """
    _refuse(value, what, is_breaking)
    return shlex.quote(value)


def shell_value(value: str | Expansion, *, what: str = "a shell word") -> str:
    """A shell word whose text quatrain may have written for the shell to expand: an Expansion
    in double quotes (its `${NAME}` expanded, nothing else read), a user's value by shell_word."""
    if isinstance(value, Expansion):
        if any(c in value.text for c in '"\\`'):
            raise _refusal(what, value.text, "cannot be double-quoted", "report this to quatrain")
        return f'"{value.text}"'
    return shell_word(value, what=what)


def shell_command(argv: Sequence[str], *, what: str = "the command") -> str:
    """A command line for RUN's shell form, each argument a shell_word. An argument with a
    newline is refused here: run such a command in exec form instead."""
    return " ".join(shell_word(arg, what=what) for arg in argv)


def check_debian_package(name: str, *, what: str = "a Debian package") -> str:
    """A Debian package name (Policy 5.6.1): lowercase letters, digits, `+ - .`, 2+ long."""
    if not _DEBIAN_PACKAGE.fullmatch(name):
        raise _refusal(
            what, name, "is not a Debian package name", "give the name alone, like libpq5"
        )
    return name


def check_extra(name: str, *, what: str = "an extra") -> str:
    """An extra's name (PEP 508 / PEP 685): letters, digits, `- _ .` inside."""
    if not _PYTHON_NAME.fullmatch(name):
        raise _refusal(
            what,
            name,
            "is not a valid extra name",
            "use the name from [project.optional-dependencies]",
        )
    return name


def check_group(name: str, *, what: str = "a dependency group") -> str:
    """A Poetry dependency group's name: the same grammar as an extra's."""
    if not _PYTHON_NAME.fullmatch(name):
        raise _refusal(
            what, name, "is not a valid group name", "use the name from [tool.poetry.group]"
        )
    return name


def check_user_name(name: str, *, what: str = "the user") -> str:
    """A login name as useradd accepts it by default; it goes unquoted into RUN and USER."""
    if not _USER_NAME.fullmatch(name):
        raise _refusal(what, name, "is not a login name", "use lowercase letters, digits, _ and -")
    return name


def check_id(number: int, *, what: str = "the uid") -> str:
    """A uid or gid of a non-root user, for USER and useradd."""
    if isinstance(number, bool) or not 1 <= number <= 2**31 - 1:  # schema.RULES["uid"]
        raise _refusal(what, number, "is not a non-root id", "use a number from 1 to 2147483647")
    return str(number)


def expose_port(port: int, *, what: str = "the port") -> str:
    """A TCP port for EXPOSE (and for the HEALTHCHECK's string): a number, never text."""
    if isinstance(port, bool) or not 1 <= port <= 65535:
        raise _refusal(what, port, "is not a port", "use a number from 1 to 65535")
    return str(port)


def image_reference(value: str | Expansion, *, what: str = "an image") -> str:
    """An image for FROM or the `# syntax=` directive: name[:tag][@digest] as distribution
    defines it. FROM expands `${VAR}`, so only an Expansion (quatrain's own defaults) may
    carry one; a user's value must match the grammar, which has no `$`."""
    if isinstance(value, Expansion):
        _refuse(value.text, what, is_breaking)
        return value.text
    match = _REFERENCE.fullmatch(value)
    if not match or len(match["name"]) > _NAME_TOTAL_LENGTH_MAX:
        raise _refusal(
            what,
            value,
            "is not an image reference",
            "write it like python:3.12-slim or registry.example.com/team/base:1@sha256:<64 hex>",
        )
    return value


def compose_value(value: str, *, what: str = "a compose.yaml value") -> str:
    """A scalar of compose.yaml: a double-quoted YAML string that reads back as the text, with
    each `$` doubled, since Compose expands `$VAR` in every value it reads. JSON's escapes are
    YAML's, but for a character beyond U+FFFF, which YAML writes `\\UXXXXXXXX`, not as a
    surrogate pair; and a character YAML may not hold raw (NEL, a line separator) is escaped."""
    _refuse(value, what, _is_nul_or_surrogate)
    quoted = json.dumps(value.replace("$", "$$"), ensure_ascii=False)
    return "".join(_yaml_escape(c) if ord(c) > 0x7E and _not_raw_in_yaml(c) else c for c in quoted)


def _not_raw_in_yaml(c: str) -> bool:
    return _is_invisible(c) or unicodedata.category(c) == "Cn"  # U+FFFE, unassigned


def _yaml_escape(c: str) -> str:
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


def compose_list(values: Sequence[str], *, what: str = "a compose.yaml list") -> str:
    """A flow sequence of compose.yaml scalars: `["a", "b"]`."""
    return "[" + ", ".join(compose_value(v, what=what) for v in values) + "]"


# For render's Jinja environment: `env.filters.update(quoting.FILTERS)`, then
# `{{ value | env_value }}` in the template.
# fmt: off
FILTERS: dict[str, Callable[..., str]] = {
    f.__name__: f
    for f in (
        exec_form, copy_paths, env_key, env_value, label_key, label_value, arg_default, workdir,
        comment, shell_word, shell_value, shell_command, mount_path, dockerignore_line,
        check_context_path, check_debian_package, check_extra, check_group, check_user_name,
        check_id, expose_port, image_reference, compose_value, compose_list,
    )
}
# fmt: on


def _quoted_word(value: str | Expansion, what: str, plain: re.Pattern[str] = _PLAIN_VALUE) -> str:
    """A word ProcessWord reads back as `value`: in double quotes only `\\ " $` are special."""
    if isinstance(value, Expansion):
        _refuse(value.text, what, is_breaking)
        return value.text
    _refuse(value, what, is_breaking)
    if plain.fullmatch(value):
        return value
    return '"' + re.sub(r'(["\\$])', r"\\\1", value) + '"'


def _is_nul_or_surrogate(c: str) -> bool:
    return c == "\0" or unicodedata.category(c) == "Cs"


def _is_invisible(c: str) -> bool:
    return unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Zs")


def _is_invisible_in_path(c: str) -> bool:
    # A leading U+FEFF is even dropped by ProcessWord (Go's text/scanner skips a BOM).
    return _is_invisible(c) and c != " "


def _json_escape(c: str) -> str:
    data = c.encode("utf-16-be")
    return "".join(f"\\u{data[i]:02x}{data[i + 1]:02x}" for i in range(0, len(data), 2))


def _refuse(value: str, what: str, bad: Callable[[str], bool]) -> None:
    for c in value:
        if bad(c):
            fix = "remove that character"
            if unicodedata.category(c) in ("Cc", "Zl", "Zp"):
                fix += " (a value with a line break can be set at run time: docker run -e)"
            why = f"holds {unicodedata.name(c, repr(c))} (U+{ord(c):04X})"
            raise _refusal(what, value, why, fix)


def _refusal(what: str, value: object, why: str, fix: str) -> ConfigurationError:
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return ConfigurationError(
        f"{what} {shown} {why}: the generated Dockerfile cannot hold it; {fix}."
    )
