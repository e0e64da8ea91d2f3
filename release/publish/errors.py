"""Errors raised while publishing: one type per kind of failure, all :class:`PublishError`."""

from __future__ import annotations

from release.errors import ReleaseToolError


class PublishError(ReleaseToolError):
    """Base of every failure of the publish package."""


class PublishInputError(PublishError):
    """An artifact to publish is missing, unreadable or has a name a release cannot carry."""


class StoreAccessError(PublishError):
    """The local release store cannot be read or written (permissions, disk full, ...)."""


class StoreCorruptError(PublishError):
    """The local release store's index is unreadable or not shaped as the store writes it."""


class ReleaseNotFoundError(PublishError):
    """No release exists for the tag an operation needs."""


class ReleaseStateError(PublishError):
    """The release is in a state the operation cannot start from (e.g. promoting a draft)."""


class DuplicateReleaseError(PublishError):
    """More than one release carries the tag; a person must decide which one to keep."""


class ReleaseExistsError(PublishError):
    """A release for the tag already exists (the store refuses a second one)."""


class TagBurntError(PublishError):
    """GitHub refuses the tag for ever: an immutable release used it and was deleted."""


class AssetExistsError(PublishError):
    """An asset of that name is already attached (GitHub's 422 ``already_exists``)."""


class ReleaseImmutableError(PublishError):
    """A published release would need an asset added, replaced or removed; it is frozen."""


class VerificationError(PublishError):
    """Re-listing the release after uploading does not show exactly the local artifacts."""


class RemoteRefusedError(PublishError):
    """The remote answered a request with a refusal that retrying cannot change."""


class PromotionRefusedError(RemoteRefusedError):
    """The remote refused to turn the pre-release into a release (e.g. an immutable release)."""


class RemoteAuthError(RemoteRefusedError):
    """The remote rejected the credentials (missing, expired or without access)."""


class RemoteUnavailableError(PublishError):
    """The remote kept failing (5xx, rate limits, dropped connections) after every retry."""


class MissingTokenError(PublishError):
    """The environment variable that should hold the API token is unset or empty."""
