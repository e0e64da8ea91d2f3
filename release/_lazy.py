"""A package's public names imported on first use (PEP 562): importing the package itself
then loads none of its modules, which keeps ``inv --list`` and the signer's start cheap."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_names(
    package: str, homes: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, str], Callable[[str], object]]:
    """``(name -> module, __getattr__)`` for ``package``, whose ``homes`` maps each module
    to the public names it defines; a name read once is then an ordinary attribute."""
    module_of = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> object:  # noqa: N807 - the PEP 562 hook's own name
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return module_of, __getattr__
