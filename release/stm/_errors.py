"""One exception family for protocol keys: callers catch :class:`StmError`; each defect of a
key has its own subclass, so a refusal says what was wrong."""

from release.errors import ReleaseToolError


class StmError(ReleaseToolError):
    """Base of every protocol-key error."""


class KeyLengthError(StmError):
    """A seed, secret key or protocol key of the wrong size or type."""


class BadPointError(StmError):
    """Bytes that are not the compressed encoding of a point on the curve."""


class NotInSubgroupError(StmError):
    """A point on the curve but outside the prime-order subgroup."""


class PointAtInfinityError(StmError):
    """The verification key is the point at infinity (it would verify anything)."""


class BadProofError(StmError):
    """The proof of possession does not match the verification key."""
