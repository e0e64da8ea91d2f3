"""Errors of the signer and aggregator. Aggregator errors carry the HTTP answer they map to."""

from __future__ import annotations

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


class TransportError(NodesError):
    """The aggregator could not be reached, or answered something that is not HTTP/JSON."""


class AggregatorError(NodesError):
    """A refused registration; ``status`` and ``label`` are its HTTP answer."""

    status = 500
    label = "internal_error"


class PayloadDecodeError(AggregatorError):
    status = 400
    label = "Could not decode signer payload"


class RegistrationRejectedError(AggregatorError):
    """KES, opcert or stake checks failed."""

    status = 400
    label = "failed_signer_registration"


class InvalidOpCertError(RegistrationRejectedError):
    pass


class OpCertValidityError(RegistrationRejectedError):
    pass


class KesSignatureRejectedError(RegistrationRejectedError):
    pass


class UnknownPoolError(RegistrationRejectedError):
    pass


class RoundNotOpenedError(AggregatorError):
    status = 550
    label = "registration_round_not_yet_opened"


class WrongEpochError(AggregatorError):
    status = 500
    label = "registration_round_unexpected_epoch"


class StoreBusyError(AggregatorError):
    status = 503
    label = "store_busy"
