"""release.toml: loading, defaults, and errors that name the file and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from release.config import ConfigError, load_config

FULL = """\
[repository]
path = "mithril"

[distribution]
name = "Mithril"
asset_prefix = "mithril"
remote = "origin"
main_branch = "main"
changelog = "CHANGELOG.md"
blog_dir = "docs/website/blog"
networks_file = "networks.json"
targets = ["linux-x64", "linux-arm64", "macos-arm64", "windows-x64"]
release_url = "https://example.invalid/releases/tag/{tag}"
install_command = "install.sh -c {component} -d {tag}"
workdir = "work"

[[components]]
name = "mithril-signer"
manifest = "mithril-signer/Cargo.toml"
paths = ["mithril-signer/"]
builder = "signer"

[[components]]
name = "mithril-client-cli"
manifest = "mithril-client-cli/Cargo.toml"
build = "make TARGET={target} OUT={out}"
targets = ["linux-x64"]

[[components]]
name = "mithril-common"
manifest = "mithril-common/Cargo.toml"

[publish]
backend = "github"
repo = "input-output-hk/mithril"
api_url = "https://ghe.example.invalid/api/v3/"
token_env = "RELEASE_TOKEN"

[signing]
minisign_key = "keys/minisign.key"
minisign_password_env = "MY_PASSWORD"
gpg_key = "0xABCDEF0123456789"

[regression]
networks = ["preprod", "devnet"]
epochs = 5
networks_file = "custom-networks.toml"
"""

MINIMAL = """\
[distribution]
name = "Mithril"

[[components]]
name = "mithril-signer"
manifest = "mithril-signer/Cargo.toml"

[signing]
minisign_key = "minisign.key"
"""


#: A custom network for [regression] networks (the parameters of tests/data/regression's tiny).
DEVNET = """\
[devnet]
epoch_length = 40
slot_length = 1
slots_per_kes_period = 15
max_kes_evolutions = 62
shelley_epoch = 0
shelley_slot = 0
shelley_start = "2025-01-01T00:00:00Z"
"""


def write(directory: Path, text: str, name: str = "release.toml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def test_full_config_resolves_paths_by_their_kind(tmp_path):
    (tmp_path / "mithril").mkdir()
    (tmp_path / "custom-networks.toml").write_text(DEVNET)
    write(tmp_path, FULL)
    config = load_config(cwd=tmp_path)
    assert config.root == (tmp_path / "mithril").resolve()
    assert config.source == tmp_path / "release.toml"
    assert config.name == "Mithril"
    # Repository things stay relative to the repository root...
    assert config.changelog == Path("CHANGELOG.md")
    assert config.components[0].manifest == Path("mithril-signer/Cargo.toml")
    # ...tool things are relative to the config file.
    assert config.workdir == tmp_path / "work"
    assert config.signing.minisign_key == tmp_path / "keys/minisign.key"
    assert config.regression.networks_file == tmp_path / "custom-networks.toml"
    assert config.signing.gpg_key == "0xABCDEF0123456789"
    assert config.publish.backend == "github"
    assert config.publish.api_url == "https://ghe.example.invalid/api/v3"
    assert config.publish.token_env == "RELEASE_TOKEN"
    signer, client, common = config.components
    assert signer.builder == "signer" and signer.ships_executable
    assert client.build == "make TARGET={target} OUT={out}"
    assert config.component_targets(client) == ("linux-x64",)
    assert config.component_targets(signer) == config.targets
    assert common.paths == ("mithril-common/",) and not common.ships_executable
    assert config.regression.networks == ("preprod", "devnet")
    assert config.regression.epochs == 5


def test_minimal_config_takes_the_documented_defaults(tmp_path):
    write(tmp_path, MINIMAL)
    config = load_config(Path("release.toml"), cwd=tmp_path)
    assert config.root == tmp_path.resolve()
    assert config.asset_prefix == "mithril"
    assert (config.remote, config.main_branch) == ("origin", "main")
    assert config.targets == ("linux-x64", "linux-arm64", "macos-arm64", "windows-x64")
    assert config.workdir == tmp_path.resolve() / ".git" / "mithril-release"
    assert config.publish.backend == "local"
    assert config.publish.store == config.workdir / "store"
    assert config.blog_dir == Path("docs/website/blog")
    assert config.networks_file == Path("networks.json")
    assert config.regression.networks == ("mainnet", "preprod", "preview")
    assert "{tag}" in config.release_url
    assert config.aggregators == {}  # every network runs the base release's aggregator


def test_the_aggregator_each_network_runs(tmp_path):
    write(tmp_path, MINIMAL + '\n[aggregators]\nrelease-mainnet = "0.7.90"\n')
    config = load_config(Path("release.toml"), cwd=tmp_path)
    assert config.aggregators == {"release-mainnet": "0.7.90"}


def test_config_path_may_point_elsewhere(tmp_path):
    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    write(
        elsewhere,
        MINIMAL.replace("[distribution]", '[repository]\npath = ".."\n\n[distribution]'),
        name="custom.toml",
    )
    config = load_config(Path("conf/custom.toml"), cwd=tmp_path)
    assert config.root == tmp_path.resolve()
    assert config.signing.minisign_key == elsewhere / "minisign.key"


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match=r"^release.toml: no such file"):
        load_config(cwd=tmp_path)
    write(tmp_path, "[distribution\nname = 1\n")
    with pytest.raises(ConfigError, match=r"^release.toml: not valid TOML: .*line 1"):
        load_config(cwd=tmp_path)


def _with(old: str, new: str, base: str = MINIMAL) -> str:
    assert old in base
    return base.replace(old, new)


MANIFEST = 'manifest = "mithril-signer/Cargo.toml"'
FIRST = r"\[\[components\]\]\[1\]\."  # how errors name the first [[components]] table


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _with(MANIFEST, 'manifest = "x/Cargo.tom"'),
            FIRST + r'manifest: "x/Cargo.tom" is not a Cargo.toml or pyproject.toml',
        ),
        (
            _with(MANIFEST, 'manifest = "../elsewhere/Cargo.toml"'),
            r"\[\[components\]\]\[1\]\.manifest: .* leaves the repository",
        ),
        (
            _with(MANIFEST, 'manifest = "/abs/Cargo.toml"'),
            r"\[\[components\]\]\[1\]\.manifest: .* must be relative to the repository root",
        ),
        (_with('name = "Mithril"\n', ""), r"distribution\.name: missing \(required\)"),
        (
            _with('name = "Mithril"', "name = 2543"),
            r"distribution\.name: must be a string, got 2543",
        ),
        (
            _with('name = "Mithril"', 'name = "Mithril"\nchangelg = "CHANGES.md"'),
            r'distribution\.changelg: unknown key; did you mean "changelog"\?',
        ),
        (_with("[signing]", "[signin]"), r"signin: unknown key; did you mean \"signing\"\?"),
        (
            MINIMAL + '\n[publish]\ntoken = "ghp_secret"\n',
            r"publish\.token: a token never goes in the config file: set token_env[^_]*$",
        ),
        (
            MINIMAL + '\n[publish]\nbackend = "gitlab"\n',
            r'publish\.backend: "gitlab" is not one of local, github',
        ),
        (
            MINIMAL + '\n[publish]\nbackend = "github"\n',
            r'publish\.repo: missing: backend "github" needs repo',
        ),
        (
            MINIMAL + '\n[publish]\ntoken_env = "MY-TOKEN"\n',
            r'publish\.token_env: "MY-TOKEN" is not an environment variable name',
        ),
        (
            _with('minisign_key = "minisign.key"\n', ""),
            r"signing\.minisign_key: missing \(required\)",
        ),
        (
            MINIMAL + '\ngpg_key = "not a key"\n',
            r'signing\.gpg_key: "not a key" is not a GPG key id',
        ),
        (
            MINIMAL + "\n[regression]\nepochs = 0\n",
            r"regression\.epochs: must be at least 1, got 0",
        ),
        (MINIMAL + "\n[regression]\nepochs = true\n", r"regression\.epochs: must be an integer"),
        (
            MINIMAL + '\n[regression]\nnetworks = ["preprod", "preprod"]\n',
            r'regression\.networks: lists "preprod" more than once',
        ),
        (
            MINIMAL + '\n[regression]\nnetworks = ["preprod", "prevue"]\n',
            r'regression\.networks\[1\]: unknown network "prevue"; known: mainnet, preprod, '
            r"preview \(define others in a file named by networks_file\)",
        ),
        (
            MINIMAL + '\n[regression]\nnetworks = ["devnet2"]\nnetworks_file = "nets.toml"\n',
            r'regression\.networks\[0\]: unknown network "devnet2"; known: devnet, mainnet, '
            r"preprod, preview \(none more in networks_file\)",
        ),
        (
            MINIMAL + '\n[regression]\nnetworks_file = "broken.toml"\n',
            r"regression\.networks_file: .*broken.toml: not valid TOML",
        ),
        (
            MINIMAL + '\n[regression]\nnetworks_file = "nope.toml"\n',
            r'regression\.networks_file: "nope.toml" is not a file',
        ),
        (
            _with(MANIFEST, MANIFEST + '\nbuild = "make"'),
            r'\[\[components\]\]\[1\]\.build: "make" must contain \{out\}',
        ),
        (
            _with(MANIFEST, MANIFEST + '\nbuild = "make {out} {arch}"'),
            FIRST + r"build: uses \{arch\}; the placeholders are \{out\}, \{target\}",
        ),
        (
            _with(MANIFEST, MANIFEST + '\nbuild = "make {out}"\nbuilder = "signer"'),
            r"\[\[components\]\]\[1\]\.build: set either build .* or builder, not both",
        ),
        (
            _with(MANIFEST, MANIFEST + '\nbuilder = "client"'),
            r'\[\[components\]\]\[1\]\.builder: "client" is not one of signer, aggregator',
        ),
        (
            _with(MANIFEST, MANIFEST + '\ntargets = ["linux-riscv"]'),
            FIRST + r'targets\[0\]: "linux-riscv" is not one of distribution\.targets',
        ),
        (
            MINIMAL + '\n[[components]]\nname = "mithril-signer"\nmanifest = "b/pyproject.toml"\n',
            r'\[\[components\]\]\[2\]\.name: "mithril-signer" is declared twice',
        ),
        (
            _with("[[components]]", "[components]"),
            r"components: must be an array of tables \(\[\[components\]\]\)",
        ),
        (
            _with('name = "Mithril"', 'name = "Mithril"\nrelease_url = "https://x.invalid/"'),
            r'distribution\.release_url: "https://x.invalid/" must contain \{tag\}',
        ),
        (
            _with('name = "Mithril"', 'name = "Mithril"\ntargets = ["linux x64"]'),
            r'distribution\.targets\[0\]: "linux x64" is not a name',
        ),
        (
            MINIMAL + "\n[publish]\nseconds_between_writes = -1\n",
            r"publish\.seconds_between_writes: must be at least 0, got -1",
        ),
        (
            MINIMAL + '\n[publish]\nseconds_between_requests = "fast"\n',
            r'publish\.seconds_between_requests: must be a number, got "fast"',
        ),
        (
            MINIMAL + '\n[hotfix]\nfixes = ["fix branch"]\n',
            r'hotfix\.fixes\[0\]: "fix branch" is not a git ref, commit or A\.\.B',
        ),
        (
            '[repository]\npath = "missing"\n' + MINIMAL,
            r'repository\.path: "missing" is not a directory',
        ),
        (
            MINIMAL + '\n[aggregators]\nrelease-mainnet = "latest"\n',
            r"aggregators\.release-mainnet: .*a version \(0\.7\.90\)",
        ),
        (
            MINIMAL + '\n[aggregators]\n"Release Mainnet" = "0.7.90"\n',
            r"aggregators\.Release Mainnet: expected a Mithril network name",
        ),
    ],
)
def test_every_error_names_file_and_key(tmp_path, text, message):
    (tmp_path / "nets.toml").write_text(DEVNET)
    (tmp_path / "broken.toml").write_text("[devnet\n")
    write(tmp_path, text, name="my-release.toml")
    with pytest.raises(ConfigError, match=rf"^my-release.toml: {message}"):
        load_config(Path("my-release.toml"), cwd=tmp_path)


def test_no_components_is_an_error(tmp_path):
    write(tmp_path, '[distribution]\nname = "Mithril"\n[signing]\nminisign_key = "k"\n')
    with pytest.raises(
        ConfigError, match=r"^release.toml: components: missing: declare at least one"
    ):
        load_config(cwd=tmp_path)
