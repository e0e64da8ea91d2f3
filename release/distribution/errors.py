"""Errors of the distribution package: one type per kind of failure, all ``ReleaseToolError``."""

from __future__ import annotations

from release.errors import ReleaseToolError


class DistributionError(ReleaseToolError):
    """Base of every failure of the distribution package."""


class VersionError(DistributionError):
    """A distribution or component version string is malformed."""


class VersionNotAboveError(VersionError):
    """A version to release is not above the one it must supersede."""


class ConfigError(DistributionError):
    """``release.toml`` is missing, unreadable or invalid (the message names file and key)."""


class ManifestError(DistributionError):
    """A ``Cargo.toml``, ``pyproject.toml`` or ``Cargo.lock`` lacks what a version bump needs."""


class ChangelogError(DistributionError):
    """The CHANGELOG lacks the structure the release section rewrite relies on."""


class RepositoryStateError(DistributionError):
    """The repository is not in a state a release step may start from (dirty, detached, ...)."""


class GitRefError(DistributionError):
    """A tag, branch or commit named on the command line or in the config does not exist."""


class CherryPickConflictError(DistributionError):
    """A fix does not apply cleanly; the cherry-pick was aborted and the tree left clean."""


class TagConflictError(DistributionError):
    """The release tag already exists at another commit (locally or on the remote)."""


class PushRejectedError(DistributionError):
    """The remote holds a branch that is not an ancestor of ours: pushing would rewrite it."""


class TagCreationRefusedError(PushRejectedError):
    """The remote refuses to create the release tag (GitHub: a rule, or a burnt tag)."""


class BuildError(DistributionError):
    """A component build failed or produced nothing to package."""


class ArtifactError(DistributionError):
    """A distribution file cannot be checksummed or signed as it is (name, missing file)."""


class SigningKeyError(DistributionError):
    """A minisign key file is not in minisign's format, or cannot be written."""


class SigningPasswordError(SigningKeyError):
    """An encrypted minisign key needs a password, or the one given is wrong."""


class GpgError(DistributionError):
    """``gpg`` failed (unknown key, no secret key, agent refusal)."""


class FixSeriesError(DistributionError):
    """A ``--fix`` names nothing to bring in, a merge commit, or a commit the tag lacks."""
