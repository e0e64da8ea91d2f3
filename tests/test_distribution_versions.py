"""Distribution versions (YYWW.patch[-name]) and component versions (SemVer)."""

from __future__ import annotations

import itertools

import pytest
import semver
from hypothesis import given
from hypothesis import strategies as st

from release.distribution.errors import VersionError, VersionNotAboveError
from release.distribution.versions import (
    DistributionVersion,
    check_release_version,
    last_release,
    next_component_version,
    next_hotfix,
    parse_component_version,
    parse_distribution_version,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2543.0", DistributionVersion(2543, 0)),
        ("2543.0-pre", DistributionVersion(2543, 0, "pre")),
        ("2543.1-hotfix", DistributionVersion(2543, 1, "hotfix")),
        ("2603.12", DistributionVersion(2603, 12)),
        (" 2524.0\n", DistributionVersion(2524, 0)),
    ],
)
def test_parses_distribution_versions(text, expected):
    assert parse_distribution_version(text) == expected


def test_formats_tag_number_and_branch():
    version = parse_distribution_version("2543.1-hotfix")
    assert str(version) == version.tag == "2543.1-hotfix"
    assert version.number == "2543.1"
    assert version.branch == "hotfix/2543.1"
    assert not version.is_prerelease
    assert parse_distribution_version("2543.0-pre").is_prerelease


def test_orders_prerelease_release_hotfix_next_distribution():
    ordered = ["2543.0-pre", "2543.0", "2543.1-hotfix", "2603.0"]
    versions = [parse_distribution_version(text) for text in ordered]
    assert sorted(reversed(versions)) == versions
    assert all(a < b for a, b in itertools.pairwise(versions))
    # SemVer would get this one wrong: a named release is not a pre-release.
    assert parse_distribution_version("2543.1") < parse_distribution_version("2543.1-hotfix")
    assert parse_distribution_version("2543.1-pre") < parse_distribution_version("2543.1")


def test_unstable_is_not_a_version():
    with pytest.raises(VersionError, match="'unstable' is Mithril's moving development tag"):
        parse_distribution_version("unstable")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2543",
        "2543.",
        "v2543.0",
        "2543.01",
        "25430.1",
        "243.1",
        "2543.1-",
        "2543.1-Hotfix",
        "2543.1_hotfix",
        "2554.0",
        "2500.0",
        "2543.1-hot fix",
        "2543.1.2",
        "latest",
    ],
)
def test_rejects_bad_strings_with_the_expected_shape(text):
    with pytest.raises(VersionError, match=r"not a distribution version"):
        parse_distribution_version(text)


def test_week_out_of_range_is_explained():
    with pytest.raises(VersionError, match=r"week 54 is not 01\.\.53"):
        parse_distribution_version("2554.0")


def test_next_hotfix_from_the_last_release_tag():
    tags = ["2537.0", "2543.0-pre", "2543.0", "unstable", "v0.1.0", "2524.0"]
    assert last_release(tags) == DistributionVersion(2543, 0)
    hotfix = next_hotfix(tags)
    assert hotfix.tag == "2543.1-hotfix"
    assert hotfix.branch == "hotfix/2543.1"
    assert next_hotfix([*tags, "2543.1-hotfix"]).tag == "2543.2-hotfix"


def test_next_hotfix_ignores_prereleases_and_needs_a_release():
    assert next_hotfix(["2543.0", "2549.0-pre"]).tag == "2543.1-hotfix"
    with pytest.raises(VersionError, match="no release tag"):
        next_hotfix(["2543.0-pre", "unstable"])


def test_release_version_must_be_above_base_and_free():
    base = parse_distribution_version("2543.0")
    check_release_version(parse_distribution_version("2543.1-hotfix"), base, ["2537.0", "2543.0"])
    # Resuming: the tag of this very version may exist already.
    check_release_version(
        parse_distribution_version("2543.1-hotfix"), base, ["2543.0", "2543.1-hotfix"]
    )
    with pytest.raises(
        VersionNotAboveError, match=r"2543\.0 is not above its base release 2543\.0"
    ):
        check_release_version(base, base, ["2543.0"])
    with pytest.raises(VersionNotAboveError, match=r"not above the existing release 2543\.1;"):
        check_release_version(
            parse_distribution_version("2543.1-hotfix"), base, ["2543.0", "2543.1"]
        )
    with pytest.raises(VersionNotAboveError, match="pre-release"):
        check_release_version(parse_distribution_version("2543.1-pre"), base, [])


def test_component_versions_are_semver():
    assert parse_component_version("0.2.273") == semver.Version(0, 2, 273)
    with pytest.raises(VersionError, match=r"mithril-signer/Cargo.toml: '0.2' is not a SemVer"):
        parse_component_version("0.2", source="mithril-signer/Cargo.toml")


def test_next_component_version_is_one_patch_above_the_highest():
    at_base, on_main = semver.Version.parse("0.2.273"), semver.Version.parse("0.2.275")
    assert next_component_version(at_base, on_main) == semver.Version.parse("0.2.276")
    assert next_component_version(at_base, None) == semver.Version.parse("0.2.274")
    with pytest.raises(VersionError, match="no version known"):
        next_component_version(None, None)


versions_strategy = st.builds(
    DistributionVersion,
    st.integers(0, 99).flatmap(lambda yy: st.integers(1, 53).map(lambda ww: yy * 100 + ww)),
    st.integers(0, 999),
    st.sampled_from([None, "pre", "hotfix", "rc1"]),
)


@given(versions_strategy)
def test_format_and_parse_round_trip(version):
    assert parse_distribution_version(str(version)) == version


@given(versions_strategy, versions_strategy)
def test_order_is_total_and_follows_yyww_then_patch(a, b):
    assert (a < b) + (b < a) + (a == b) == 1
    if (a.yyww, a.patch) != (b.yyww, b.patch):
        assert (a < b) == ((a.yyww, a.patch) < (b.yyww, b.patch))
