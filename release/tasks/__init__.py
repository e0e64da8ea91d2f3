"""The Invoke namespace: one module per concern, each a thin layer over the library."""

from __future__ import annotations

from invoke import Collection, Program

from release import __version__
from release.tasks import bench, kes, nodes, notes, pipeline, regression, sandbox
from release.tasks._parser import install_help_first_parsing

install_help_first_parsing()

namespace = Collection()
for release_task in (
    pipeline.hotfix_task,
    pipeline.promote,
    pipeline.build,
    pipeline.sign,
    pipeline.tag,
    pipeline.status,
):
    namespace.add_task(release_task)
namespace.add_collection(pipeline.publish)
namespace.add_collection(Collection.from_module(kes), name="kes")
namespace.add_collection(Collection.from_module(notes), name="notes")
namespace.add_collection(Collection.from_module(nodes), name="nodes")
namespace.add_collection(Collection.from_module(regression), name="regression")
namespace.add_task(bench.bench)
namespace.add_task(sandbox.sandbox)


def main() -> None:
    """Console entry point ``mithril-release``: the same tasks as ``inv`` in this repository."""
    Program(namespace=namespace, version=__version__, name="mithril-release").run()
