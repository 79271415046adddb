from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from quatrain.choosing.poetry_pins import export_plugin_for, parse_table, poetry_releases, table
from quatrain.choosing.python_choice import OFFICIAL_PYTHONS
from quatrain.errors import ConfigurationError

NEWEST_POETRY = "2.5.1"
NEWEST_PLUGIN = "1.10.1"


def requirement_of(plugin: str) -> SpecifierSet:
    (release,) = [p for p in table().plugins if p.version == plugin]
    return SpecifierSet(release.poetry)


def test_the_table_knows_every_poetry_2_release_newest_first() -> None:
    releases = poetry_releases()
    assert releases[0] == NEWEST_POETRY
    assert releases[-1] == "2.0.0"
    assert len(releases) == 20
    assert [Version(v) for v in releases] == sorted((Version(v) for v in releases), reverse=True)
    assert all(Version(v).major == 2 for v in releases)


def test_the_table_knows_every_plugin_release_from_1_6_0_on() -> None:
    assert [p.version for p in table().plugins] == [
        "1.10.1",
        "1.10.0",
        "1.9.0",
        "1.8.0",
        "1.7.1",
        "1.7.0",
        "1.6.0",
    ]


def test_every_specifier_in_the_table_parses() -> None:
    for plugin in table().plugins:
        for text in (plugin.poetry, plugin.poetry_core, plugin.python):
            assert SpecifierSet(text), (plugin.version, text)
    for poetry in table().poetry:
        assert SpecifierSet(poetry.poetry_core)
        assert SpecifierSet(poetry.python)


@pytest.mark.parametrize("poetry", poetry_releases())
def test_every_known_poetry_gets_a_plugin_whose_requirement_admits_it(poetry: str) -> None:
    plugin = export_plugin_for(poetry)
    assert Version(poetry) in requirement_of(plugin)


@pytest.mark.parametrize("poetry", poetry_releases())
def test_the_poetry_requirement_alone_decides_because_poetry_core_always_agrees(
    poetry: str,
) -> None:
    # The resolver also weighs the plugin's poetry-core range against Poetry's own pin; the
    # table is only right to ignore that while every admitted pair agrees on poetry-core.
    (release,) = [p for p in table().poetry if p.version == poetry]
    core = Version(release.poetry_core.removeprefix("=="))
    for plugin in table().plugins:
        if plugin.admits(Version(poetry)):
            assert core in SpecifierSet(plugin.poetry_core), (poetry, plugin.version)


def test_every_chosen_plugin_runs_on_the_oldest_python_quatrain_builds_on() -> None:
    oldest = min(Version(patch) for patch in OFFICIAL_PYTHONS.values())
    for poetry in poetry_releases():
        (plugin,) = [p for p in table().plugins if p.version == export_plugin_for(poetry)]
        assert oldest in SpecifierSet(plugin.python), (poetry, plugin.version)


@pytest.mark.parametrize("poetry", ["2.0.0", "2.0.1"])
def test_poetry_2_0_gets_plugin_1_9_0_because_1_10_needs_poetry_2_1(poetry: str) -> None:
    assert export_plugin_for(poetry) == "1.9.0"


def test_poetry_2_1_0_is_the_first_to_get_plugin_1_10() -> None:
    assert export_plugin_for("2.1.0") == NEWEST_PLUGIN


def test_the_newest_poetry_gets_the_newest_plugin() -> None:
    assert export_plugin_for(NEWEST_POETRY) == NEWEST_PLUGIN


def test_a_poetry_2_release_newer_than_the_table_still_gets_the_newest_plugin() -> None:
    assert export_plugin_for("2.9.0") == NEWEST_PLUGIN
    assert export_plugin_for("2.6.0b1") == NEWEST_PLUGIN


def test_a_poetry_1_release_is_refused_with_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as caught:
        export_plugin_for("1.8.5")
    assert str(caught.value) == (
        "Poetry 1.8.5 is too old for quatrain's images, which are written for Poetry >= 2.0.0 "
        "(its `poetry export` comes from poetry-plugin-export). Set poetry-version to a "
        "Poetry 2 release, e.g. 2.5.1, and re-lock with it."
    )


def test_a_poetry_that_no_known_plugin_accepts_is_refused_with_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as caught:
        export_plugin_for("3.0.0")
    assert str(caught.value) == (
        "No poetry-plugin-export release quatrain knows works with Poetry 3.0.0: the newest, "
        "1.10.1, requires poetry >=2.1.0,<3.0.0. Set poetry-plugin-export-version to a release "
        "that supports Poetry 3.0.0, or poetry-version to one it accepts, e.g. 2.5.1."
    )


def test_a_pinned_plugin_that_admits_the_poetry_is_used_as_pinned() -> None:
    assert export_plugin_for("2.5.1", pinned="1.8.0") == "1.8.0"


def test_a_pinned_plugin_newer_than_the_table_is_taken_on_trust() -> None:
    assert export_plugin_for("2.0.1", pinned="1.11.0") == "1.11.0"


def test_a_pinned_plugin_that_refuses_the_poetry_is_refused_with_both_ways_out() -> None:
    with pytest.raises(ConfigurationError) as caught:
        export_plugin_for("2.0.1", pinned="1.10.1")
    assert str(caught.value) == (
        "poetry-plugin-export 1.10.1 does not work with Poetry 2.0.1: it requires poetry "
        ">=2.1.0,<3.0.0, so the image's install would be refused by the resolver. Set "
        "poetry-plugin-export-version to 1.9.0, or poetry-version to a release it accepts, "
        "e.g. 2.5.1."
    )


def test_a_pinned_plugin_for_poetry_1_only_suggests_another_plugin() -> None:
    with pytest.raises(ConfigurationError) as caught:
        export_plugin_for("2.5.1", pinned="1.7.1")
    assert str(caught.value).endswith(
        "requires poetry >=1.8.0,<2.0.0, so the image's install would be refused by the "
        "resolver. Set poetry-plugin-export-version to 1.10.1."
    )


@pytest.mark.parametrize(
    ("poetry", "pinned", "option"),
    [("two", None, "poetry-version"), ("2.0.1", "latest", "poetry-plugin-export-version")],
)
def test_a_value_that_is_not_a_version_is_refused_naming_its_option(
    poetry: str, pinned: str | None, option: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"^{option} must be a version such as 2.0.1"):
        export_plugin_for(poetry, pinned=pinned)


def test_a_table_is_sorted_newest_first_whatever_order_its_file_has() -> None:
    text = """
        minimum-poetry = "2.0.0"
        [plugin."1.9.0"]
        poetry = ">=2.0.0,<3.0.0"
        poetry-core = ">=1.7.0,<3.0.0"
        python = ">=3.9,<4.0"
        [plugin."1.10.0"]
        poetry = ">=2.1.0,<3.0.0"
        poetry-core = ">=2.1.0,<3.0.0"
        python = ">=3.10,<4.0"
        [poetry]
        "2.0.1" = { poetry-core = "==2.0.1", python = ">=3.9,<4.0" }
        "2.10.0" = { poetry-core = "==2.10.0", python = ">=3.10,<4.0" }
    """
    parsed = parse_table(text)
    assert [p.version for p in parsed.plugins] == ["1.10.0", "1.9.0"]
    assert [p.version for p in parsed.poetry] == ["2.10.0", "2.0.1"]
