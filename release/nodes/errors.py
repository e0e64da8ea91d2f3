"""Errors of the signer and aggregator. Aggregator errors carry the HTTP answer they map to."""

from __future__ import annotations

from typing import Any

from release.errors import ReleaseToolError


class NodesError(ReleaseToolError):
    """The root of this package's errors."""


class ProfileError(NodesError):
    """An unknown signer or aggregator profile name, or an unparseable version."""


class CredentialsError(NodesError):
    """KES key and operational certificate that cannot be read or do not belong together."""


class StakeFileError(NodesError):
    """A stake distribution file that is missing or malformed."""


class StoreError(NodesError):
    """A SQLite store that cannot be opened or written."""


class EpochParameterError(NodesError):
    """An epoch in a URL that is neither a number in range nor ``latest`` / ``latest-N``."""


class TransportError(NodesError):
    """The aggregator could not be reached, or answered something that is not HTTP/JSON."""


class AggregatorError(NodesError):
    """A refused registration; ``status`` and ``label`` are its HTTP answer.

    Subclasses name theirs as class keywords. They are the answers Mithril's aggregator
    gives, so a signer reads our refusals as it reads Mithril's.
    """

    status = 500
    label = "internal_error"

    def __init_subclass__(
        cls, *, status: int | None = None, label: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if label is not None:
            cls.label = label


class PayloadDecodeError(AggregatorError, status=400, label="Could not decode signer payload"):
    """A request body that is not a registration: not JSON, or a field missing or mistyped."""


class RegistrationRejectedError(AggregatorError, status=400, label="failed_signer_registration"):
    """KES, opcert or stake checks failed."""


class InvalidOpCertError(RegistrationRejectedError):
    """The operational certificate is not signed by the cold key it names."""


class OpCertValidityError(RegistrationRejectedError):
    """The current KES period lies outside the operational certificate's validity."""


class KesSignatureRejectedError(RegistrationRejectedError):
    """No KES period the verifier tries makes the signature verify."""


class UnknownPoolError(RegistrationRejectedError):
    """The pool has no stake in the epoch the registration is for."""


class ProtocolKeyRejectedError(RegistrationRejectedError):
    """The BLS proof of possession does not verify (checked last, as Mithril does)."""


class RoundNotOpenedError(AggregatorError, status=550, label="registration_round_not_yet_opened"):
    """No registration round is open (between the aggregator's epoch-change steps)."""


class WrongEpochError(AggregatorError, status=500, label="registration_round_unexpected_epoch"):
    """A registration for another epoch than the open round's."""


class StoreBusyError(AggregatorError, status=503, label="store_busy"):
    """The registration store stayed locked too long; the signer may retry."""
