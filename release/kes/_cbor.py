"""Strict CBOR decoding of untrusted bytes: one value, nothing after it, our errors only."""

from __future__ import annotations

import io

import cbor2

from release.kes._errors import KesError

# What cbor2 raises on hostile input besides CBORDecodeError: huge or negative lengths,
# deep nesting, unsupported tags carrying odd payloads.
_DECODER_FAILURES = (
    cbor2.CBORError,
    ValueError,
    TypeError,
    OverflowError,
    RecursionError,
    EOFError,
    LookupError,
)


def decode_cbor(data: bytes, what: str, error: type[KesError]) -> object:
    """The single CBOR value in ``data``; ``error`` names ``what`` on any failure."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except _DECODER_FAILURES as failure:
        raise error(f"{what} is not valid CBOR: {failure}") from None
    if stream.tell() != len(data):
        raise error(f"{what} has {len(data) - stream.tell()} unexpected bytes after its CBOR value")
    return value
