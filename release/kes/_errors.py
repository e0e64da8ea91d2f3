"""One exception family for everything KES: callers catch :class:`KesError`."""

from release.errors import ReleaseToolError


class KesError(ReleaseToolError):
    """Base of every KES, certificate and encoding error."""


class KeyFormatError(KesError):
    """A seed, secret key or verification key has the wrong size or inconsistent content."""


class SignatureFormatError(KesError):
    """A signature has the wrong size or type."""


class PeriodError(KesError):
    """A KES period is outside the key's life (0..63) or the key cannot evolve further."""


class OpCertError(KesError):
    """An operational certificate is malformed (CBOR shape, field size or range)."""


class EnvelopeError(KesError):
    """A cardano-cli text envelope is not JSON of the expected shape or type."""


class WireFormatError(KesError):
    """A Mithril wire value (hex of compact JSON, or raw bytes hex) cannot be decoded."""
