"""Private sources' credentials: never in a URL, secret files that hold any value exactly,
Poetry's auth.toml read cleanly, and a Dockerfile that depends on the project alone."""

from __future__ import annotations

import netrc as python_netrc
import sys
from pathlib import Path

import pytest

from quatrain.errors import ConfigurationError, ProjectError
from quatrain.pipeline import make_plan
from quatrain.reading import credentials
from quatrain.reading.credentials import Credential, auth_toml, collect, netrc, poetry_auth
from quatrain.reading.project import load_project
from unit.conftest import flask_project, lock_text, locked, pep621, write_tree

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"
HOSTILE = [
    'pa ss"word',
    "back\\slash\\",
    "#hash",
    "",
    "\"'`$(id)`'\"",
    "ünï cödé ✓",
    "machine evil.example login x password y",
]


def with_source(root: Path, url: str, *, extra: str = "", name: str = "corp") -> Path:
    """The flask project with one [[tool.poetry.source]] at `url`."""
    source = f'\n[[tool.poetry.source]]\nname = "{name}"\nurl = "{url}"\npriority = "primary"\n'
    return flask_project(
        root, {"shop/__init__.py": FACTORY}, pyproject=pep621(extra=source + extra)
    )


def credential(username: str = "me", password: str = "pw", source: str = "corp") -> Credential:
    return Credential(source=source, host="pypi.corp.example", username=username, password=password)


# -- credentials in URLs --------------------------------------------------------------------


def test_a_source_url_with_a_user_and_password_is_refused_before_anything_is_rendered(
    tmp_path: Path,
) -> None:
    root = with_source(tmp_path, "https://alice:hunter2@pypi.corp.example/simple/")

    with pytest.raises(ProjectError) as raised:
        make_plan(root, env={}, cli={})

    assert str(raised.value) == (
        f"The [[tool.poetry.source]] 'corp' in {root / 'pyproject.toml'} has credentials in its "
        "url (https://***@pypi.corp.example/simple/), and pyproject.toml is copied into the "
        "images. Remove them from the url and run `poetry lock`; pass them as secrets instead: "
        "set POETRY_HTTP_BASIC_CORP_USERNAME and POETRY_HTTP_BASIC_CORP_PASSWORD (or run "
        "`poetry config http-basic.corp USER PASSWORD`, which writes Poetry's auth.toml), and "
        'name the source in [tool.quatrain] private-sources = ["corp"].'
    )
    assert "hunter2" not in str(raised.value)


def test_a_token_as_the_user_name_of_a_source_url_is_refused_too(tmp_path: Path) -> None:
    root = with_source(tmp_path, "https://ghp_token123@pypi.corp.example/simple/")

    with pytest.raises(ProjectError, match=r"has credentials in its url \(https://\*\*\*@pypi"):
        make_plan(root, env={}, cli={})


def test_a_locked_git_url_with_a_token_is_refused(tmp_path: Path) -> None:
    git = locked("lib") + (
        '\n[package.source]\ntype = "git"\nurl = "https://x-token:s3cr3t@git.corp.example/lib.git"'
        '\nreference = "HEAD"\nresolved_reference = "' + "a" * 40 + '"\n'
    )
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock_text(git))

    with pytest.raises(ProjectError) as raised:
        credentials.refuse_credentials_in_urls(load_project(root))

    assert str(raised.value).startswith(
        f"poetry.lock in {root} has credentials in the url of lib "
        "(https://***@git.corp.example/lib.git), and poetry.lock is copied into the images."
    )


def test_an_ssh_user_in_a_locked_git_url_is_no_credential(tmp_path: Path) -> None:
    git = locked("lib") + (
        '\n[package.source]\ntype = "git"\nurl = "ssh://git@git.corp.example/lib.git"'
        '\nreference = "HEAD"\nresolved_reference = "' + "a" * 40 + '"\n'
    )
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock_text(git))

    credentials.refuse_credentials_in_urls(load_project(root))  # no error


# -- the secret files -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [*HOSTILE, "two\nlines", 'a\\"]\n[http-basic.evil]'])
def test_the_auth_toml_reads_back_every_value_exactly(value: str) -> None:
    text = auth_toml([credential(username=value, password=value, source="my.repo source")])

    assert tomllib.loads(text) == {
        "http-basic": {"my.repo source": {"username": value, "password": value}}
    }


@pytest.mark.parametrize("value", HOSTILE)
def test_the_netrc_reads_back_every_value_exactly_as_pythons_netrc_and_uvs_crate_lex_it(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "netrc"
    path.write_text(netrc([credential(username=value, password=value)]), encoding="utf-8")
    path.chmod(0o600)

    parsed = python_netrc.netrc(str(path))

    assert parsed.hosts == {"pypi.corp.example": (value, "", value)}


def test_a_plain_netrc_value_is_left_unquoted_for_the_simplest_readers() -> None:
    assert netrc([credential()]) == "machine pypi.corp.example login me password pw\n"


def test_a_quoted_netrc_value_escapes_its_quotes_and_backslashes() -> None:
    assert netrc([credential(password='a "b" \\c')]) == (
        'machine pypi.corp.example login me password "a \\"b\\" \\\\c"\n'
    )


@pytest.mark.parametrize(
    "password", ["pw\nmachine evil.example login x password y", "pw\r", "a\tb"]
)
def test_a_netrc_value_with_a_control_character_is_refused_not_a_second_entry(
    password: str,
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        netrc([credential(password=password)])

    assert str(raised.value) == (
        "The password of the private source 'corp' has a control character (a line break, a "
        "tab, ...), which a .netrc cannot hold: uv would read another entry from it. Set "
        "POETRY_HTTP_BASIC_CORP_USERNAME and POETRY_HTTP_BASIC_CORP_PASSWORD (or Poetry's "
        "auth.toml) without it; a trailing line break often comes from `echo` or a file read "
        "as it is."
    )
    assert "evil" not in str(raised.value)


# -- Poetry's auth.toml ---------------------------------------------------------------------


def test_credentials_come_from_poetrys_auth_toml_in_its_config_dir(tmp_path: Path) -> None:
    write_tree(tmp_path, {"auth.toml": '[http-basic.corp]\nusername = "me"\npassword = "pw"\n'})

    assert poetry_auth({"POETRY_CONFIG_DIR": str(tmp_path)}) == {
        "corp": {"username": "me", "password": "pw"}
    }


def test_an_auth_toml_that_is_not_toml_is_a_configuration_error_naming_the_file(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"auth.toml": '[http-basic.corp]\npassword = "unterminated\n'})

    with pytest.raises(ConfigurationError) as raised:
        poetry_auth({"POETRY_CONFIG_DIR": str(tmp_path)})

    assert str(raised.value).startswith(
        f"Poetry's auth.toml at {tmp_path / 'auth.toml'} cannot be read: "
    )
    assert str(raised.value).endswith(
        "Fix or remove it (`poetry config --list` shows what Poetry reads), or set "
        "POETRY_CONFIG_DIR to another directory; credentials can also come from "
        "POETRY_HTTP_BASIC_<SOURCE>_USERNAME and _PASSWORD."
    )
    assert raised.value.return_code == 2


def test_an_auth_toml_that_is_not_utf_8_is_a_configuration_error_naming_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "auth.toml").write_bytes(b'[http-basic.corp]\npassword = "caf\xe9"\n')

    with pytest.raises(ConfigurationError, match=r"^Poetry's auth\.toml at .* cannot be read: "):
        poetry_auth({"POETRY_CONFIG_DIR": str(tmp_path)})


def test_an_auth_toml_entry_that_is_not_a_table_is_a_configuration_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"auth.toml": '[http-basic]\ncorp = "me:pw"\n'})

    with pytest.raises(ConfigurationError) as raised:
        poetry_auth({"POETRY_CONFIG_DIR": str(tmp_path)})

    assert str(raised.value) == (
        f"Poetry's auth.toml at {tmp_path / 'auth.toml'} has http-basic.corp as a value, where "
        "Poetry keeps a table with username and password. Fix it with `poetry config "
        "http-basic.<source> USER PASSWORD`, or remove it."
    )


def test_a_build_without_private_sources_never_reads_the_auth_toml(tmp_path: Path) -> None:
    write_tree(tmp_path, {"auth.toml": "not toml at all ["})

    assert collect((), {"POETRY_CONFIG_DIR": str(tmp_path)}) == []


# -- the Dockerfile depends on the project alone --------------------------------------------


def test_init_renders_the_same_files_whatever_credentials_the_machine_has(
    tmp_path: Path,
) -> None:
    root = with_source(tmp_path / "shop", "https://pypi.corp.example/simple/")
    write_tree(tmp_path / "poetry", {"auth.toml": '[http-basic.corp]\nusername = "u"\n'})
    machines = [
        {},
        {"POETRY_HTTP_BASIC_CORP_USERNAME": "me", "POETRY_HTTP_BASIC_CORP_PASSWORD": "pw"},
        {"POETRY_CONFIG_DIR": str(tmp_path / "poetry")},
    ]

    rendered = [make_plan(root, env=env, cli={}) for env in machines]

    assert all(p.files == rendered[0].files for p in rendered)
    assert all(p.private_sources == () for p in rendered)
    assert "id=poetry-auth" not in rendered[0].files["Dockerfile"]


def test_a_source_the_option_names_gets_the_secret_mounts_with_or_without_credentials(
    tmp_path: Path,
) -> None:
    root = with_source(
        tmp_path,
        "https://pypi.corp.example/simple/",
        extra='[tool.quatrain]\nprivate-sources = ["corp"]\n',
    )

    with_none = make_plan(root, env={}, cli={})
    with_some = make_plan(root, env={"POETRY_HTTP_BASIC_CORP_PASSWORD": "pw"}, cli={})

    assert with_none.files == with_some.files
    assert [s.name for s in with_none.private_sources] == ["corp"]
    assert "id=poetry-auth" in with_none.files["Dockerfile"]
    assert "id=netrc" in with_none.files["Dockerfile"]


def test_credentials_for_a_source_the_option_does_not_name_are_a_warning_at_build(
    tmp_path: Path,
) -> None:
    project = load_project(with_source(tmp_path, "https://pypi.corp.example/simple/"))

    warnings = credentials.unused(project, (), {"POETRY_HTTP_BASIC_CORP_USERNAME": "me"})

    assert warnings == [
        "Credentials for the source corp are set here, but private-sources does not name it, "
        "so the build reaches it without them (the Dockerfile depends on the project alone). "
        'If it needs them, add private-sources = ["corp"] to [tool.quatrain].'
    ]
    assert (
        credentials.unused(project, project.sources, {"POETRY_HTTP_BASIC_CORP_USERNAME": "me"})
        == []
    )


def test_a_missing_credential_of_a_named_source_stops_the_build_naming_what_to_set(
    tmp_path: Path,
) -> None:
    project = load_project(with_source(tmp_path, "https://pypi.corp.example/simple/"))

    with pytest.raises(ConfigurationError, match=r"Set POETRY_HTTP_BASIC_CORP_USERNAME and "):
        collect(project.sources, {"HOME": str(tmp_path)})


def test_two_sources_on_one_host_with_the_same_credentials_share_one_netrc_entry() -> None:
    assert netrc([credential(source="a"), credential(source="b")]) == (
        "machine pypi.corp.example login me password pw\n"
    )


def test_two_sources_on_one_host_with_different_credentials_are_refused() -> None:
    # uv looks a .netrc up by host alone: one of the two would get the other's login.
    with pytest.raises(ConfigurationError) as raised:
        netrc([credential(source="a"), credential(password="other", source="b")])

    assert str(raised.value) == (
        "The private sources a and b are both on pypi.corp.example, with different "
        "credentials. uv, which installs the production image's dependencies, reads them from "
        "a .netrc, which holds one login per host. Give both sources the same credentials (a "
        "token that reads both, for instance)."
    )
