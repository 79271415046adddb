"""The quoting functions, checked against BuildKit's own parser (the `dockerfile` package wraps
its Go code and parses in-process) and a port of its lexer, with hostile and arbitrary text."""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from collections.abc import Callable, Sequence
from typing import Protocol, cast

import dockerfile  # type: ignore[import-not-found]  # compiled Go, ships no stubs
import pytest
import yaml  # type: ignore[import-untyped]  # no stubs installed
from hypothesis import given, settings
from hypothesis import strategies as st

from quatrain.dockerfile import quoting
from quatrain.errors import ConfigurationError


class Command(Protocol):
    cmd: str
    json: bool
    flags: tuple[str, ...]
    value: tuple[str, ...]
    heredocs: tuple[object, ...]


def parse(text: str) -> list[Command]:
    return cast("list[Command]", list(dockerfile.parse_string(text)))


class Expanded(Exception):
    """BuildKit would expand a variable here: the value did not survive as written."""


class Unterminated(Exception):
    """BuildKit would fail on an unterminated quote."""


def buildkit_word(word: str) -> str:
    """shell/lex.go ProcessWord with no variable set: quotes and escapes removed, as BuildKit
    does for ENV, LABEL, ARG, COPY and WORKDIR; raises where it would expand a variable."""
    if word.startswith("\ufeff"):
        word = word[1:]  # Go's text/scanner skips a leading byte-order mark
    out: list[str] = []
    i = 0
    while i < len(word):
        c = word[i]
        if c == "$":
            _dollar(word, i)
            out.append(c)
            i += 1
        elif c == "'":
            end = word.find("'", i + 1)
            if end < 0:
                raise Unterminated(word)
            out.append(word[i + 1 : end])
            i = end + 1
        elif c == '"':
            i = _double_quoted(word, i + 1, out)
        elif c == "\\":
            out.append(word[i + 1 : i + 2])  # a trailing backslash is dropped
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _double_quoted(word: str, i: int, out: list[str]) -> int:
    while i < len(word):
        c = word[i]
        if c == '"':
            return i + 1
        if c == "$":
            _dollar(word, i)
        if c == "\\" and word[i + 1 : i + 2] in ('"', "$", "\\") and i + 1 < len(word):
            c = word[i + 1]
            i += 1
        elif c == "\\" and i + 1 == len(word):
            break
        out.append(c)
        i += 1
    raise Unterminated(word)


def _dollar(word: str, i: int) -> None:
    """processDollar: `$` stays literal unless a name, a digit, a special parameter or `{`
    follows it."""
    following = word[i + 1 : i + 2]
    if following and (
        following in "{_@*#?-$!0" or following.isalpha() or unicodedata.category(following) == "Nd"
    ):
        raise Expanded(word)


# From moby/buildkit frontend/dockerfile/shell/envVarTest (the lines that need no variable).
ENV_VAR_TEST = [
    ("hello", "hello"),
    ("he'll'o", "hello"),
    ("he\\'llo", "he'llo"),
    ("abc\\tdef", "abctdef"),
    ('"abc\\tdef"', "abc\\tdef"),
    ('"abc\\\\tdef"', "abc\\tdef"),
    ("'abc\\tdef'", "abc\\tdef"),
    ("hello\\", "hello"),
    ("hello\\\\", "hello\\"),
    ('"hel\'lo"', "hel'lo"),
    ("'hello\\'", "hello\\"),
    ("'hello\\\\there'", "hello\\\\there"),
    ("\"''\"", "''"),
    ("$.", "$."),
    ("he$.x", "he$.x"),
    ("he\\$PWD", "he$PWD"),
    ('"he\\$PWD"', "he$PWD"),
    ("\\${}aaa", "${}aaa"),
    ("'he${XX}'", "he${XX}"),
    ("'\\$PWD'", "\\$PWD"),
    ("'\"hello\"'", '"hello"'),
    ("안'녕'하세요", "안녕하세요"),
    ("안녕\\'하세요", "안녕'하세요"),
]
ENV_VAR_ERRORS = ["he'llo", "he\\\\'llo", '"hello', '"hello\\"', "'hello"]
ENV_VAR_EXPANDS = ["he$1x", "he$PWD", "he\\\\$PWD", '"he\\\\$PWD"', "he${hi}", '"$PWD"', "${}"]


@pytest.mark.parametrize(("word", "expected"), ENV_VAR_TEST)
def test_the_lexer_port_reads_buildkits_own_test_words_as_buildkit_does(
    word: str, expected: str
) -> None:
    assert buildkit_word(word) == expected


@pytest.mark.parametrize("word", ENV_VAR_ERRORS)
def test_the_lexer_port_fails_where_buildkit_fails(word: str) -> None:
    with pytest.raises(Unterminated):
        buildkit_word(word)


@pytest.mark.parametrize("word", ENV_VAR_EXPANDS)
def test_the_lexer_port_notices_every_expansion_buildkit_would_make(word: str) -> None:
    with pytest.raises(Expanded):
        buildkit_word(word)


# --- What each context reads back, through the real parser --------------------------------


def read_env(value: str) -> str:
    quoted = quoting.env_value(value)
    commands = parse(f"FROM scratch\nENV A={quoted} \\\n    B=after\nENV C=1\n")
    assert [c.cmd for c in commands] == ["FROM", "ENV", "ENV"]
    key, raw, after, after_value = commands[1].value
    assert (key, after, after_value) == ("A", "B", "after")
    return buildkit_word(raw)


def read_label(key: str, value: str) -> tuple[str, str]:
    k, v = quoting.label_key(key), quoting.label_value(value)
    commands = parse(f"FROM scratch\nLABEL {k}={v} \\\n      other=x\nENV C=1\n")
    assert [c.cmd for c in commands] == ["FROM", "LABEL", "ENV"]
    raw_key, raw_value, other, x = commands[1].value
    assert (other, x) == ("other", "x")
    return buildkit_word(raw_key), buildkit_word(raw_value)


def read_arg(value: str) -> str:
    commands = parse(f"ARG A={quoting.arg_default(value)}\nFROM scratch\n")
    assert [c.cmd for c in commands] == ["ARG", "FROM"]
    (word,) = commands[0].value
    name, raw = word.split("=", 1)
    assert name == "A"
    return buildkit_word(raw)


HEREDOC = re.compile(r"^(\d*)<<(-?)\s*([^<]*)$")  # parser.go reHeredoc


def read_copy(sources: Sequence[str], dest: str) -> list[str]:
    commands = parse(f"FROM scratch\nCOPY {quoting.copy_paths(sources, dest)}\nENV C=1\n")
    assert [c.cmd for c in commands] == ["FROM", "COPY", "ENV"]
    copy = commands[1]
    assert copy.flags == ()
    assert copy.heredocs == ()
    assert not any(HEREDOC.match(raw) for raw in copy.value)  # parseSourcesAndDest's check
    return [buildkit_word(raw) for raw in copy.value]


def read_exec(argv: Sequence[str]) -> list[str]:
    commands = parse(f"FROM scratch\nCMD {quoting.exec_form(argv)}\nENV C=1\n")
    assert [c.cmd for c in commands] == ["FROM", "CMD", "ENV"]
    assert commands[1].json
    return list(commands[1].value)  # exec form: no lexer, no expansion


def read_shell_word(value: str) -> str:
    line = f"echo {quoting.shell_word(value)} && true"
    commands = parse(f"FROM scratch\nRUN {line}\nENV C=1\n")
    assert [c.cmd for c in commands] == ["FROM", "RUN", "ENV"]
    assert commands[1].heredocs == ()
    assert commands[1].value == (line,)
    words = shlex.split(line)
    assert words[0] == "echo"
    assert words[2:] == ["&&", "true"]
    return words[1]


def read_comment(text: str) -> None:
    commands = parse(f"FROM scratch\n# {quoting.comment(text)}\nENV C=1\n")
    assert [(c.cmd, c.value) for c in commands] == [("FROM", ("scratch",)), ("ENV", ("C", "1"))]


def read_workdir(path: str) -> str:
    commands = parse(f"FROM scratch\nWORKDIR {quoting.workdir(path)}\nENV C=1\n")
    assert [c.cmd for c in commands] == ["FROM", "WORKDIR", "ENV"]
    (raw,) = commands[1].value
    return buildkit_word(raw)


BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def breaks_a_line(value: str) -> bool:
    """What the quoting module refuses in words: line ends, controls but tab, bidi controls,
    lone surrogates."""
    return any(
        (unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs") and c != "\t") or c in BIDI
        for c in value
    )


def invisible_in_path(path: str) -> bool:
    """What the quoting module refuses in paths: any control, format, private-use or
    separator character but the plain space."""
    invisible = ("Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Zs")
    return any(unicodedata.category(c) in invisible and c != " " for c in path)


HOSTILE = [
    "",
    " ",
    "plain",
    "two words",
    "line\nbreak",
    "line\\\nbreak",
    "carriage\rreturn",
    "tab\there",
    'double"quote',
    "single'quote",
    "pa$$w0rd$HOME",
    "${X}",
    "${X:-y}",
    "$(id)",
    "back\\slash",
    "ends with backslash\\",
    "ends with backslash and space\\ ",
    "`id`",
    "a; rm -rf /",
    "a && b",
    "a | b > c",
    "# not a comment",
    "<<EOF",
    "1<<EOF",
    "--from=build",
    "--flag",
    "-",
    '["json", "array"]',
    "[bracket",
    "key=value",
    "ünïcödé",
    "\u00a0nbsp\u00a0",
    "\ufeffbom",
    "\u2028line separator",
    "\u202eoverride",
    "emoji 😀 \U0001d518",
    "\x00nul",
    "\x7fdel\x85nel",
    "\ud800lone surrogate",
]


def refused(read: Callable[[], object]) -> bool:
    try:
        read()
    except ConfigurationError:
        return True
    return False


@pytest.mark.parametrize("value", HOSTILE)
def test_an_env_value_reads_back_as_given_or_is_refused_for_a_line_break(value: str) -> None:
    if breaks_a_line(value):
        with pytest.raises(ConfigurationError, match="cannot hold it"):
            quoting.env_value(value)
    else:
        assert read_env(value) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_a_label_value_and_key_read_back_as_given_or_are_refused(value: str) -> None:
    if breaks_a_line(value):
        assert refused(lambda: quoting.label_value(value))
        assert refused(lambda: quoting.label_key(value))
    elif value == "" or "=" in value:
        assert read_label("org.example.x", value) == ("org.example.x", value)
        assert refused(lambda: quoting.label_key(value))
    else:
        assert read_label(value, value) == (value, value)


@pytest.mark.parametrize("value", HOSTILE)
def test_an_arg_default_reads_back_as_given_or_is_refused(value: str) -> None:
    assert refused(lambda: read_arg(value)) if breaks_a_line(value) else read_arg(value) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_an_exec_form_argument_reads_back_as_given_even_with_newlines(value: str) -> None:
    if "\ud800" in value or "\0" in value:
        assert refused(lambda: quoting.exec_form([value]))
    else:
        assert read_exec(["prog", value, "--"]) == ["prog", value, "--"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_shell_word_reads_back_as_given_or_is_refused(value: str) -> None:
    if breaks_a_line(value):
        assert refused(lambda: quoting.shell_word(value))
    else:
        assert read_shell_word(value) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_a_comment_never_ends_its_line(value: str) -> None:
    read_comment(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_copy_destination_reads_back_as_given_or_is_refused(value: str) -> None:
    if value and not invisible_in_path(value):
        assert read_copy(["src"], value) == ["src", value]
    else:
        assert refused(lambda: quoting.copy_paths(["src"], value))


@pytest.mark.parametrize(
    "source",
    ["my app/", "it's", 'say "hi"', "pa$$", "<<EOF", "--from=x", "x]", "ü.py", "a b/c d.txt"],
)
def test_a_copy_source_that_needs_quoting_takes_the_json_form(source: str) -> None:
    text = quoting.copy_paths([source], "./")
    assert text.startswith("[")
    assert read_copy([source], "./") == [source, "./"]


@pytest.mark.parametrize(
    "source", ["/etc/passwd", "../outside", "a/../../b", "*.py", "a?", "a[1]", "a\\b", "", "a\nb"]
)
def test_a_copy_source_outside_the_context_or_with_a_glob_is_refused(source: str) -> None:
    with pytest.raises(ConfigurationError):
        quoting.copy_paths([source], "./")


@pytest.mark.parametrize("path", ["/app", "/app/my project", "/app/it's", "/a/$HOME"])
def test_a_workdir_reads_back_as_given(path: str) -> None:
    assert read_workdir(path) == path


def test_a_relative_workdir_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not absolute"):
        quoting.workdir("app")


# --- Ordinary values stay readable ----------------------------------------------------------


def test_simple_values_stay_unquoted() -> None:
    assert quoting.env_value("8888") == "8888"
    assert quoting.env_value("/opt/venv") == "/opt/venv"
    assert quoting.label_value("1.2.3") == "1.2.3"
    assert quoting.label_key("org.opencontainers.image.title") == "org.opencontainers.image.title"
    assert quoting.arg_default("3.12") == "3.12"
    assert quoting.workdir("/app/services/api") == "/app/services/api"
    assert quoting.shell_word("libpq5") == "libpq5"


def test_a_value_with_dollars_is_quoted_so_docker_expands_nothing() -> None:
    assert quoting.env_value("pa$$w0rd$HOME") == '"pa\\$\\$w0rd\\$HOME"'
    assert quoting.env_value('say "hi" \\') == '"say \\"hi\\" \\\\"'
    assert quoting.env_value("") == '""'
    assert quoting.label_key("my key") == '"my key"'
    assert quoting.label_key("--x") == '"--x"'  # found by hypothesis: LABEL read it as a flag


def test_an_expansion_of_quatrains_own_is_pasted_as_written() -> None:
    assert quoting.env_value(quoting.Expansion("/opt/venv/bin:$PATH")) == "/opt/venv/bin:$PATH"
    assert quoting.label_value(quoting.Expansion("$REVISION")) == "$REVISION"
    images = quoting.Expansion("python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE}")
    assert quoting.image_reference(images) == "python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE}"


def test_exec_form_is_json_with_invisible_characters_escaped() -> None:
    assert quoting.exec_form(["gunicorn", "pkg:create_app()"]) == '["gunicorn", "pkg:create_app()"]'
    assert quoting.exec_form(["echo", "$HOME"]) == '["echo", "$HOME"]'
    assert quoting.exec_form(["a\nb", "é😀"]) == '["a\\nb", "é😀"]'
    assert quoting.exec_form(["\u202e", "\x85", "\U000e0001"]) == (
        '["\\u202e", "\\u0085", "\\udb40\\udc01"]'
    )
    with pytest.raises(ConfigurationError, match="is empty"):
        quoting.exec_form([])


def test_copy_paths_stay_plain_when_they_can() -> None:
    assert quoting.copy_paths(["pyproject.toml", "poetry.lock"], "./") == (
        "pyproject.toml poetry.lock ./"
    )
    assert quoting.copy_paths(["src/pkg/"], "./src/pkg/") == "src/pkg/ ./src/pkg/"
    assert quoting.copy_paths(["my app/"], "/app/my app/") == '["my app/", "/app/my app/"]'
    assert quoting.copy_paths(["pa$$"], "./") == '["pa\\\\$\\\\$", "./"]'


def test_a_comment_shows_a_line_break_as_its_escape() -> None:
    assert quoting.comment("pytest -k 'a\nb'") == "pytest -k 'a\\nb'"
    assert quoting.comment("tab\tand \u2028 and \u202e") == "tab\tand \\u2028 and \\u202e"


def test_shell_words_are_quoted_as_sh_reads_them() -> None:
    assert quoting.shell_word("a b") == "'a b'"
    assert quoting.shell_word("$(id)") == "'$(id)'"
    assert quoting.shell_word("") == "''"
    with pytest.raises(ConfigurationError, match="U\\+000A"):
        quoting.shell_word("a\nb")


def test_a_refusal_names_the_value_why_and_what_to_do() -> None:
    with pytest.raises(ConfigurationError) as caught:
        quoting.env_value("a\nb", what="env.API_KEY")
    assert str(caught.value) == (
        "env.API_KEY 'a\\nb' holds '\\n' (U+000A): the generated Dockerfile cannot hold "
        "it; remove that character (a value with a line break can be set at run time: "
        "docker run -e)."
    )


@pytest.mark.parametrize("name", ["PORT", "_x", "A1"])
def test_a_variable_name_is_kept(name: str) -> None:
    assert quoting.env_key(name) == name


@pytest.mark.parametrize("name", ["", "1A", "A B", "A=B", "A-B", "$A", "Ä", "A\n"])
def test_a_name_that_is_no_variable_name_is_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a variable name"):
        quoting.env_key(name)


@pytest.mark.parametrize("name", ["libpq5", "libstdc++6", "g++", "python3.11-dev"])
def test_a_debian_package_name_is_kept(name: str) -> None:
    assert quoting.check_debian_package(name) == name


@pytest.mark.parametrize("name", ["", "a", "LibPQ", "-x", "a b", "a;b", "pkg=1.0", "$(id)", "a\n"])
def test_a_debian_package_name_outside_policy_is_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a Debian package name"):
        quoting.check_debian_package(name)


@pytest.mark.parametrize("name", ["postgres", "Test_Extra", "a.b-c", "x"])
def test_extra_and_group_names_follow_pep_508(name: str) -> None:
    assert quoting.check_extra(name) == name
    assert quoting.check_group(name) == name


@pytest.mark.parametrize("name", ["", "-x", "x-", "a b", "a,b", "a;b", "$x", "é"])
def test_extra_and_group_names_outside_pep_508_are_refused(name: str) -> None:
    assert refused(lambda: quoting.check_extra(name))
    assert refused(lambda: quoting.check_group(name))


def test_user_names_and_ids_are_checked() -> None:
    assert quoting.check_user_name("app") == "app"
    assert quoting.check_id(10001) == "10001"
    assert quoting.expose_port(8888) == "8888"
    for bad_name in ["", "App", "a b", "a;b", "1$", "x" * 33]:
        with pytest.raises(ConfigurationError, match="not a login name"):
            quoting.check_user_name(bad_name)
    for bad_number in [0, -1, 2**31, True]:
        with pytest.raises(ConfigurationError, match="not a non-root id"):
            quoting.check_id(bad_number)
    for bad_port in [0, 65536, False]:
        with pytest.raises(ConfigurationError, match="not a port"):
            quoting.expose_port(bad_port)


@pytest.mark.parametrize(
    "reference",
    [
        "python:3.12-slim-bookworm",
        "docker/dockerfile:1",
        "registry.example.com:5000/team/base:1.0",
        "localhost/x",
        "ghcr.io/a/b@sha256:" + "0" * 64,
        "python:3.12@sha256:" + "a" * 64,
    ],
)
def test_an_image_reference_is_kept_and_parses_as_one_from_argument(reference: str) -> None:
    assert quoting.image_reference(reference) == reference
    (command,) = parse(f"FROM {reference} AS x\n")
    assert command.value == (reference, "AS", "x")


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "Python:3",
        "python:${TAG}",
        "$IMAGE",
        "python:3 AS x",
        "python:3\nRUN id",
        "python:-x",
        "a//b",
        "python@sha256:abc",
        "x" * 256,
    ],
)
def test_a_user_image_outside_the_reference_grammar_is_refused(reference: str) -> None:
    with pytest.raises(ConfigurationError, match="not an image reference"):
        quoting.image_reference(reference)


# --- Properties: arbitrary text, bounded --------------------------------------------------

HOSTILE_CHARACTERS = list("\\\"'$`{}()[]<>;&|#=*?~- \t\n\r\x0b\x0c\x85\u2028\u202e\ufeff\u00a0")
text = st.text(st.one_of(st.sampled_from(HOSTILE_CHARACTERS), st.characters()), max_size=24)
path_segment = st.text(
    st.one_of(st.sampled_from(list("\\\"'$<>[]* -_.=@")), st.characters()), min_size=1, max_size=8
)
paths = st.lists(path_segment, min_size=1, max_size=3).map("/".join)


@settings(max_examples=200, deadline=None)
@given(text)
def test_any_env_value_reads_back_as_given_unless_refused_for_a_line_break(value: str) -> None:
    try:
        assert read_env(value) == value
    except ConfigurationError:
        assert breaks_a_line(value)


@settings(max_examples=200, deadline=None)
@given(text, text)
def test_any_label_reads_back_as_given_unless_refused(key: str, value: str) -> None:
    try:
        assert read_label(key, value) == (key, value)
    except ConfigurationError:
        assert breaks_a_line(key) or breaks_a_line(value) or key == "" or "=" in key


@settings(max_examples=200, deadline=None)
@given(text)
def test_any_arg_default_reads_back_as_given_unless_refused(value: str) -> None:
    try:
        assert read_arg(value) == value
    except ConfigurationError:
        assert breaks_a_line(value)


@settings(max_examples=200, deadline=None)
@given(st.lists(text, min_size=1, max_size=4))
def test_any_argv_reads_back_as_given_in_exec_form(argv: list[str]) -> None:
    try:
        assert read_exec(argv) == argv
    except ConfigurationError:
        assert any(c == "\0" or unicodedata.category(c) == "Cs" for arg in argv for c in arg)


@settings(max_examples=200, deadline=None)
@given(text)
def test_any_shell_word_reads_back_as_given_unless_refused(value: str) -> None:
    try:
        assert read_shell_word(value) == value
    except ConfigurationError:
        assert breaks_a_line(value)


@settings(max_examples=200, deadline=None)
@given(text)
def test_any_comment_stays_one_comment_line(value: str) -> None:
    read_comment(value)


@settings(max_examples=200, deadline=None)
@given(st.lists(paths, min_size=1, max_size=3), paths)
def test_any_copy_reads_back_as_given_unless_refused(sources: list[str], dest: str) -> None:
    try:
        assert read_copy(sources, dest) == [*sources, dest]
    except ConfigurationError:
        assert invisible_in_path(dest) or any(
            invisible_in_path(p)
            or p.startswith("/")
            or ".." in p.split("/")
            or any(g in p for g in "*?[\\")
            for p in sources
        )


@settings(max_examples=200, deadline=None)
@given(text, text, text, paths, st.lists(text, min_size=1, max_size=3))
def test_a_dockerfile_of_every_context_keeps_its_instructions(
    env: str, key: str, value: str, path: str, argv: list[str]
) -> None:
    """The brief's shape: one Dockerfile with all of them; quoting never adds or merges one."""
    try:
        text = (
            f"FROM scratch\nENV A={quoting.env_value(env)}\n"
            f"LABEL {quoting.label_key(key)}={quoting.label_value(value)}\n"
            f"COPY {quoting.copy_paths([path], '/x/')}\nCMD {quoting.exec_form(argv)}\n"
        )
    except ConfigurationError:
        return
    commands = parse(text)
    assert [c.cmd for c in commands] == ["FROM", "ENV", "LABEL", "COPY", "CMD"]
    assert buildkit_word(commands[1].value[1]) == env
    assert [buildkit_word(w) for w in commands[2].value] == [key, value]
    assert [buildkit_word(w) for w in commands[3].value] == [path, "/x/"]
    assert list(commands[4].value) == argv


def test_the_json_form_of_copy_is_what_the_parser_decodes() -> None:
    (_, copy) = parse(f"FROM scratch\nCOPY {quoting.copy_paths(['a b'], './')}\n")
    assert copy.json
    assert json.loads(quoting.copy_paths(["a b"], "./")) == list(copy.value)


def test_every_public_function_is_a_template_filter() -> None:
    public = {
        name
        for name, value in vars(quoting).items()
        if callable(value) and not name.startswith("_") and value.__module__ == quoting.__name__
    }
    assert set(quoting.FILTERS) == public - {"Expansion"}


def test_a_shell_command_is_its_words_quoted() -> None:
    assert quoting.shell_command(["pytest", "-k", "a and b", "$X"]) == "pytest -k 'a and b' '$X'"
    line = quoting.shell_command(["ruff", "check", "."])
    assert read_shell_word_line(line) == ["ruff", "check", "."]
    with pytest.raises(ConfigurationError, match="U\\+000A"):
        quoting.shell_command(["python", "-c", "a\nb"])


def read_shell_word_line(line: str) -> list[str]:
    (_, run) = parse(f"FROM scratch\nRUN {line}\n")
    assert run.value == (line,)
    return shlex.split(line)


@pytest.mark.parametrize("path", ["/app/dist", "/app/services/api-v2/dist", "/tmp/x_y.z@1+2"])
def test_a_plain_mount_path_is_kept(path: str) -> None:
    assert quoting.mount_path(path) == path
    flag = f"--mount=type=bind,source={path},target=/tmp/dist"
    (_, run) = parse(f"FROM scratch\nRUN {flag} true\n")
    assert run.flags == (flag,)


@pytest.mark.parametrize("path", ["", "app", "/a b", "/a,target=/etc", '/a"b', "/$X", "/a\nb"])
def test_a_mount_path_that_csv_or_the_flag_parser_would_read_is_refused(path: str) -> None:
    with pytest.raises(ConfigurationError, match="not a plain absolute path"):
        quoting.mount_path(path)


@pytest.mark.parametrize("path", ["apps/web", "src/pkg/", "README.md", "my app"])
def test_a_context_path_and_its_dockerignore_line_are_kept(path: str) -> None:
    assert quoting.check_context_path(path) == path
    assert quoting.dockerignore_line(path) == path


@pytest.mark.parametrize("path", ["#notes", "!keep"])
def test_a_dockerignore_line_that_reads_as_a_comment_or_exception_is_refused(path: str) -> None:
    assert quoting.check_context_path(path) == path
    with pytest.raises(ConfigurationError, match="starts with # or !"):
        quoting.dockerignore_line(path)


# --- compose.yaml scalars ------------------------------------------------------------------------


@given(st.text().filter(lambda text: "\0" not in text))  # text() draws no surrogates
@settings(max_examples=300)
def test_a_compose_value_reads_back_as_its_text_with_each_dollar_doubled(value: str) -> None:
    written = f"key: {quoting.compose_value(value)}\n"

    assert yaml.safe_load(written) == {"key": value.replace("$", "$$")}


def test_a_compose_value_escapes_what_yaml_cannot_hold_raw() -> None:
    assert quoting.compose_value("a$HOME b") == '"a$$HOME b"'
    assert quoting.compose_value("line\u2028next\x85") == '"line\\u2028next\\u0085"'
    assert quoting.compose_value("\U0001f600") == '"\U0001f600"'  # printable: as it is
    assert quoting.compose_list(["sleep", "infinity"]) == '["sleep", "infinity"]'
    with pytest.raises(ConfigurationError, match="cannot hold it"):
        quoting.compose_value("nul\0")
