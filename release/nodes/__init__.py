"""The registration path of a Mithril signer and aggregator, in the released behaviours
(signer 0.2.268 / 0.2.273 / 0.2.276, aggregator 0.7.90 / 2603.1) and this project's fix.

Standard library plus PyNaCl, cbor2, bech32 and pyblst only (the packaged executables carry
this package and rely on the interpreter for those).

The names below are imported on first use (PEP 562): the signer executable then never loads
the aggregator, its store or ``http.server``, and ``inv --list`` none of this package.
"""

from __future__ import annotations

import importlib

#: The module of this package defining each public name.
_HOMES = {
    "aggregator": ("Aggregator", "load_stake"),
    "aggregator_store": ("RegistrationStore", "StoredRegistration"),
    "credentials": ("KesCredentials",),
    "messages": ("Registration",),
    "profiles": (
        "AGGREGATOR_PROFILES",
        "CANDIDATE",
        "SIGNER_PROFILES",
        "aggregator_profile_for_version",
        "signer_profile_for_version",
    ),
    "signer": ("Attempt", "AttemptStatus", "Signer"),
    "signer_store": ("ProtocolKeyRecord", "ProtocolKeyStore"),
    "transport": ("HttpTransport", "InProcessTransport", "Reply"),
    "verifiers": ("VERIFIERS", "Verifier", "get_verifier"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "AGGREGATOR_PROFILES",
    "CANDIDATE",
    "SIGNER_PROFILES",
    "VERIFIERS",
    "Aggregator",
    "Attempt",
    "AttemptStatus",
    "HttpTransport",
    "InProcessTransport",
    "KesCredentials",
    "ProtocolKeyRecord",
    "ProtocolKeyStore",
    "Registration",
    "RegistrationStore",
    "Reply",
    "Signer",
    "StoredRegistration",
    "Verifier",
    "aggregator_profile_for_version",
    "get_verifier",
    "load_stake",
    "signer_profile_for_version",
]


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
