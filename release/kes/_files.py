"""Key and certificate files as operators pass them: read, decode, parse, and name the file.

A task or a signer usually reads two such files (a key and a certificate); an error that does
not say which one is bad leaves the operator guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from release.kes._envelope import MAX_ENVELOPE_SIZE
from release.kes._errors import EnvelopeError, KesError

T = TypeVar("T")


def load_envelope_file(path: str | Path, what: str, parse: Callable[[str], T]) -> T:
    """``parse`` applied to the text of the file at ``path`` (a ``what``, for the messages).

    Every failure is a :class:`KesError` naming the file: unreadable, not UTF-8, or whatever
    ``parse`` found wrong with it (same error class, the file's name in front).
    """
    try:
        with Path(path).open("rb") as handle:  # a whole disk image passed by mistake stays there
            data = handle.read(MAX_ENVELOPE_SIZE + 1)
    except OSError as failure:
        raise EnvelopeError(f"cannot read the {what} {path}: {failure.strerror}") from None
    if len(data) > MAX_ENVELOPE_SIZE:
        raise EnvelopeError(
            f"the {what} {path} is not a text envelope: larger than {MAX_ENVELOPE_SIZE} bytes"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise EnvelopeError(
            f"the {what} {path} is not a text envelope: byte {failure.start} is not UTF-8 text"
        ) from None
    try:
        return parse(text)
    except KesError as failure:
        raise type(failure)(f"the {what} {path}: {failure}") from None
