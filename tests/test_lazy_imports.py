"""What each entry point loads at start: ``inv --list`` only the tasks and the constants
their help shows, the packages' names on first use. (How long it takes is a figure of
``inv bench --only startup``, never asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import release.nodes
import release.regression

REPO = Path(__file__).resolve().parents[1]


def loaded_after(code: str) -> list[str]:
    """The ``release`` and ``rich`` modules a fresh interpreter holds after ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('release', 'rich'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_loading_the_tasks_loads_no_library_module_and_no_rich():
    loaded = loaded_after("import tasks")
    library = [
        m
        for m in loaded
        if not m.startswith("release.tasks")
        and m
        not in {
            "release",
            "release._lazy",  # the first-use hook of the two packages below (stdlib only)
            "release.errors",
            # the constants the help texts show, in modules that import nothing
            "release.nodes",
            "release.nodes.api",
            "release.nodes.errors",
            "release.nodes.profiles",
            "release.regression",
            "release.regression.parameters",
        }
    ]
    assert library == []


@pytest.mark.parametrize("package", [release.nodes, release.regression])
def test_every_public_name_of_a_lazy_package_resolves_to_its_module(package):
    assert sorted(package.__all__) == sorted(package._MODULE_OF)
    for name in package.__all__:
        value = getattr(package, name)
        module = sys.modules[f"{package.__name__}.{package._MODULE_OF[name]}"]
        assert value is getattr(module, name)
    with pytest.raises(AttributeError, match="no_such_name"):
        package.no_such_name  # noqa: B018


def test_the_gate_function_is_not_hidden_by_its_submodule():
    # Python binds a submodule to its package when it first loads it: loading
    # release.regression.gate directly first must still leave the function importable.
    loaded = loaded_after(
        "import release.regression.gate\n"
        "from release.regression import gate\n"
        "assert callable(gate) and gate.__module__ == 'release.regression.gate', gate"
    )
    assert "release.regression.gate" in loaded


def test_the_signer_package_alone_does_not_load_the_aggregator():
    loaded = loaded_after("from release.nodes import Signer, KesCredentials")
    assert "release.nodes.signer" in loaded
    assert not {"release.nodes.aggregator", "release.nodes.http_server"} & set(loaded)
