"""The registration path of a Mithril signer and aggregator, in the released behaviours
(signer 0.2.268 / 0.2.273 / 0.2.276, aggregator 0.7.90 / 2603.1) and this project's fix.

Standard library plus PyNaCl, cbor2, bech32 and pyblst only (the packaged executables carry
this package and rely on the interpreter for those).
"""

from release.nodes.aggregator import Aggregator, load_stake
from release.nodes.aggregator_store import RegistrationStore, StoredRegistration
from release.nodes.credentials import KesCredentials
from release.nodes.messages import Registration
from release.nodes.profiles import (
    AGGREGATOR_PROFILES,
    CANDIDATE,
    SIGNER_PROFILES,
    aggregator_profile_for_version,
    signer_profile_for_version,
)
from release.nodes.signer import Attempt, AttemptStatus, Signer
from release.nodes.signer_store import ProtocolKeyRecord, ProtocolKeyStore
from release.nodes.transport import HttpTransport, InProcessTransport, Reply
from release.nodes.verifiers import VERIFIERS, Verifier, get_verifier

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
