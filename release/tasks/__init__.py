"""The Invoke namespace: one module per concern, each a thin layer over the library."""

from __future__ import annotations

from invoke import Collection, Program

from release import __version__
from release.tasks import bench, kes

namespace = Collection()
namespace.add_collection(Collection.from_module(kes), name="kes")
namespace.add_task(bench.bench)


def main() -> None:
    """Console entry point ``mithril-release``: the same tasks as ``inv`` in this repository."""
    Program(namespace=namespace, version=__version__, name="mithril-release").run()
