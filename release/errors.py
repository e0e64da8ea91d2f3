"""The root of every error the tool raises on purpose.

Tasks catch :class:`ReleaseToolError` and print its message; anything else is a bug and
keeps its traceback.
"""


class ReleaseToolError(Exception):
    """A failure with a message meant for the person running the tool."""
