from __future__ import annotations

import re
import sys
from importlib.resources import files
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from quatrain.choosing.images import DEBIAN_RELEASES
from quatrain.choosing.system_packages import (
    TABLE_FILE,
    SystemPackages,
    loaded_libraries,
    parse_table,
    system_packages,
    table,
)
from quatrain.errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# Debian Policy 5.6.7: lower case letters, digits, + - . ; at least two characters.
DEBIAN_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+")
RELEASES = ("bookworm", "trixie")
# The distributions the table was written for; it may know more, never fewer.
REQUIRED = (
    "cffi",
    "cryptography",
    "dbus-python",
    "gssapi",
    "h5py",
    "lxml",
    "m2crypto",
    "mariadb",
    "mysqlclient",
    "netifaces",
    "pillow",
    "psycopg-c",
    "psycopg2",
    "pyaudio",
    "pycairo",
    "pycurl",
    "pygobject",
    "pykerberos",
    "pyodbc",
    "python-ldap",
    "python-snappy",
    "pyyaml",
    "uwsgi",
    "xmlsec",
)


def raw_table() -> dict[str, Any]:
    text = files("quatrain.choosing").joinpath("resources").joinpath(TABLE_FILE).read_text("utf-8")
    return tomllib.loads(text)


def test_the_table_parses_and_covers_the_releases_quatrain_builds_on() -> None:
    assert set(table().releases) == set(RELEASES) == set(DEBIAN_RELEASES)
    assert set(REQUIRED) <= set(table().entries)


def test_every_entry_has_build_and_runtime_packages_for_every_release() -> None:
    for entry in table().entries.values():
        assert set(entry.build) == set(RELEASES), entry.distribution
        assert set(entry.runtime) == set(RELEASES), entry.distribution


def test_every_package_name_follows_debian_package_name_grammar() -> None:
    for entry in table().entries.values():
        for per_release in (entry.build, entry.runtime):
            for names in per_release.values():
                for name in names:
                    assert DEBIAN_NAME.fullmatch(name), (entry.distribution, name)
                assert len(set(names)) == len(names), entry.distribution


def test_distribution_names_are_canonical_and_sorted() -> None:
    names = list(raw_table()["package"])
    assert names == [canonicalize_name(name) for name in names]
    assert names == sorted(names)  # TOML tables are unique already; sorted keeps it findable


def test_build_packages_never_include_what_every_python_image_already_gives() -> None:
    given = {"build-essential", "gcc", "g++", "libc6-dev", "make", "python3-dev"}
    for entry in table().entries.values():
        for names in entry.build.values():
            assert not given & set(names), entry.distribution


def test_a_runtime_library_is_never_a_development_package() -> None:
    for entry in table().entries.values():
        for names in entry.runtime.values():
            assert not [name for name in names if name.endswith("-dev")], entry.distribution


@pytest.mark.parametrize("release", RELEASES)
def test_psycopg2_builds_against_libpq_dev_and_runs_with_libpq5(release: str) -> None:
    found = system_packages(["psycopg2"], release)
    assert found.build == ("libpq-dev",)
    assert found.runtime == ("libpq5",)


@pytest.mark.parametrize("release", RELEASES)
def test_mysqlclient_builds_with_pkgconf_and_runs_with_the_mariadb_client_library(
    release: str,
) -> None:
    found = system_packages(["mysqlclient"], release)
    assert found.build == ("default-libmysqlclient-dev", "pkgconf")
    assert found.runtime == ("libmariadb3",)


@pytest.mark.parametrize(
    ("release", "runtime"),
    [("bookworm", ("libldap-2.5-0", "libsasl2-2")), ("trixie", ("libldap2", "libsasl2-2"))],
)
def test_python_ldap_runs_with_each_release_s_own_name_of_the_ldap_library(
    release: str, runtime: tuple[str, ...]
) -> None:
    found = system_packages(["python-ldap"], release)
    assert found.build == ("libldap-dev", "libsasl2-dev")
    assert found.runtime == runtime


@pytest.mark.parametrize(
    ("release", "runtime"),
    [("bookworm", ("libcurl4", "libssl3")), ("trixie", ("libcurl4t64", "libssl3t64"))],
)
def test_pycurl_runs_with_the_t64_libraries_on_trixie(
    release: str, runtime: tuple[str, ...]
) -> None:
    assert system_packages(["pycurl"], release).runtime == runtime


def test_cryptography_builds_with_rust_and_notes_bookworm_s_old_rustc() -> None:
    found = system_packages(["cryptography"], "bookworm")
    assert found.build == ("cargo", "libssl-dev", "pkgconf", "rustc")
    assert found.runtime == ("libssl3",)
    assert found.notes[0].startswith("cryptography: Debian's Rust is 1.63 in bookworm")


def test_several_distributions_give_one_sorted_list_without_duplicates() -> None:
    found = system_packages(["M2Crypto", "cryptography", "psycopg2", "PsycoPG2"], "trixie")
    assert found == SystemPackages(
        build=("cargo", "libpq-dev", "libssl-dev", "pkgconf", "rustc", "swig"),
        runtime=("libpq5", "libssl3t64"),
        known=("cryptography", "m2crypto", "psycopg2"),
        unknown=(),
        notes=found.notes,
    )


def test_an_unknown_distribution_gives_nothing_and_is_reported_as_unknown() -> None:
    assert system_packages(["Not_A-Real.Package"], "bookworm") == SystemPackages(
        build=(), runtime=(), known=(), unknown=("not-a-real-package",), notes=()
    )


def test_a_release_the_table_does_not_know_is_refused_with_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as caught:
        system_packages(["psycopg2"], "bullseye")
    assert str(caught.value) == (
        "No system-package table for Debian 'bullseye': quatrain knows bookworm, trixie. "
        "Set debian-release to one of them."
    )


def test_an_entry_with_only_one_release_s_list_is_a_malformed_table() -> None:
    text = 'releases = ["bookworm", "trixie"]\n[package.x]\nbuild = []\nruntime = { trixie = [] }\n'
    with pytest.raises(ValueError, match="one list per release"):
        parse_table(text)


def test_an_entry_with_a_misspelt_key_is_a_malformed_table() -> None:
    text = 'releases = ["bookworm"]\n[package.x]\nbuild = []\nruntime = []\nnotes = ""\n'
    with pytest.raises(ValueError, match="unknown keys"):
        parse_table(text)


@pytest.mark.parametrize("release", ["bookworm", "trixie"])
def test_psycopg_3_loads_libpq5_unless_psycopg_binary_is_installed_too(release: str) -> None:
    assert loaded_libraries(["psycopg", "django"], release) == ("libpq5",)
    assert loaded_libraries(["Psycopg", "psycopg_binary"], release) == ()
    assert loaded_libraries(["psycopg-binary", "django"], release) == ()


def test_every_loaded_library_names_debian_packages_and_canonical_companions() -> None:
    for name, loaded in table().loads.items():
        assert name == canonicalize_name(name)
        assert set(loaded.runtime) == set(table().releases)
        for packages in loaded.runtime.values():
            assert packages
            assert all(DEBIAN_NAME.fullmatch(p) and not p.endswith("-dev") for p in packages)
        assert all(c == canonicalize_name(c) for c in loaded.unless)


def test_a_loads_entry_with_a_misspelt_key_is_a_malformed_table() -> None:
    text = 'releases = ["bookworm"]\n[package]\n[loads.psycopg]\nruntime = ["libpq5"]\nunles = []\n'

    with pytest.raises(ValueError, match=r"loads.psycopg has unknown keys \['unles'\]"):
        parse_table(text)
