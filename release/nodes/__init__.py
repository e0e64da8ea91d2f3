"""The registration path of a Mithril signer and aggregator, in the released behaviours
(signer 0.2.268 / 0.2.273 / 0.2.276, aggregator 0.7.90 / 2603.1) and this project's fix.

Standard library plus PyNaCl, cbor2, bech32 and pyblst only: the packaged executables carry
this package and those.

The names below are imported on first use (PEP 562): the signer executable then never loads
the aggregator, its store or ``http.server``, and ``inv --list`` none of this package.
"""

from __future__ import annotations

from release._lazy import lazy_names

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
_MODULE_OF, __getattr__ = lazy_names(__name__, _HOMES)

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
