"""The CHANGELOG release section: rewrite, insert, idempotence, byte-identical remainder."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from release.distribution.changelog import release_changelog, top_section, update_changelog
from release.distribution.errors import ChangelogError
from release.distribution.versions import parse_distribution_version

DATA = Path(__file__).parent / "data" / "distribution"
CHANGELOG = (DATA / "CHANGELOG-2543.0.md").read_text()
FACTS = json.loads((DATA / "versions.json").read_text())
HOTFIX_VERSIONS = {**FACTS["2543.0"]["crates"], "mithril-signer": "0.2.276"}
HOTFIX = parse_distribution_version("2543.1-hotfix")
DAY = datetime.date(2025, 11, 7)

EXPECTED_TABLE = """\
- Crates versions:

| Crate               | Version   |
| ------------------- | --------- |
| mithril-aggregator  | `0.7.90`  |
| mithril-client      | `0.12.34` |
| mithril-client-cli  | `0.12.33` |
| mithril-client-wasm | `0.9.7`   |
| mithril-common      | `0.6.25`  |
| mithril-signer      | `0.2.276` |
| mithril-stm         | `0.5.5`   |

## Mithril Distribution [2537] - 2025-09-17
"""


def release(text: str, version=HOTFIX, date=DAY, **extra) -> str:
    return release_changelog(
        text, name="Mithril", version=version, date=date, versions=HOTFIX_VERSIONS, **extra
    )


def test_unreleased_section_becomes_the_hotfix_section_with_all_crates():
    released = release(CHANGELOG)
    assert "## Mithril Distribution [2543.1] - 2025-11-07\n" in released
    assert "[2543] - UNRELEASED" not in released
    assert EXPECTED_TABLE in released
    assert "| N/A   |" not in released
    # Only the heading and the table changed: the rest is byte-identical.
    before, after = CHANGELOG.split("\n"), released.split("\n")
    changed = [line for line in before if line not in after]
    assert changed == [
        "## Mithril Distribution [2543] - UNRELEASED",
        "| Crate | Version |",
        "| ----- | ------- |",
        "| N/A   | `-`     |",
    ]
    tail = CHANGELOG[CHANGELOG.index("## Mithril Distribution [2537]") :]
    assert released.endswith(tail)
    head = CHANGELOG[: CHANGELOG.index("## Mithril Distribution [2543]")]
    assert released.startswith(head)


def test_rewriting_is_idempotent_and_keeps_the_first_date():
    once = release(CHANGELOG)
    assert release(once) == once
    assert release(once, date=datetime.date(2025, 11, 9)) == once


def test_placeholder_heading_is_accepted():
    text = CHANGELOG.replace("[2543] - UNRELEASED", "[XXXX] - UNRELEASED")
    assert release(text) == release(CHANGELOG)


def test_a_released_top_section_gets_a_new_section_above_it():
    once = release(CHANGELOG)
    second = parse_distribution_version("2543.2-hotfix")
    twice = release(once, version=second, entries=["Fixed the signer registration retry."])
    top = top_section(twice, "Mithril")
    assert (top.label, top.date) == ("2543.2", "2025-11-07")
    assert twice.endswith(once[once.index("## Mithril Distribution [2543.1]") :])
    assert "## Mithril Distribution [2543.2] - 2025-11-07\n\n- Fixed the signer" in twice
    assert release(twice, version=second) == twice


def test_a_section_without_table_gets_one_appended():
    text = CHANGELOG.replace(
        "- Crates versions:\n\n| Crate | Version |\n| ----- | ------- |\n| N/A   | `-`     |\n\n",
        "",
    )
    assert "Crates versions:\n\n| Crate | Version |" not in text
    assert EXPECTED_TABLE in release(text)


def test_crlf_files_stay_crlf():
    text = CHANGELOG.replace("\n", "\r\n")
    assert release(text) == release(CHANGELOG).replace("\n", "\r\n")


def test_unreleased_section_of_another_distribution_is_refused():
    text = CHANGELOG.replace("[2543] - UNRELEASED", "[2549] - UNRELEASED")
    with pytest.raises(ChangelogError, match=r"top section \[2549\] - UNRELEASED is not .* 2543"):
        release(text)


def test_missing_heading_is_refused():
    with pytest.raises(ChangelogError, match=r'no "## Mithril Distribution \[\.\.\.\]'):
        release("# Changelog\n\nNothing yet.\n")
    with pytest.raises(ChangelogError, match=r'no "## Cardano Distribution'):
        release_changelog(
            CHANGELOG, name="Cardano", version=HOTFIX, date=DAY, versions=HOTFIX_VERSIONS
        )


def test_update_file_in_place_and_dry_run(tmp_path):
    path = tmp_path / "CHANGELOG.md"
    path.write_bytes(CHANGELOG.encode())
    arguments = dict(name="Mithril", version=HOTFIX, date=DAY, versions=HOTFIX_VERSIONS)
    assert update_changelog(path, dry_run=True, **arguments)
    assert path.read_bytes() == CHANGELOG.encode()
    assert update_changelog(path, **arguments)
    assert path.read_text() == release(CHANGELOG)
    assert not update_changelog(path, **arguments)
    with pytest.raises(ChangelogError, match=r"nope\.md: no such file"):
        update_changelog(tmp_path / "nope.md", **arguments)
