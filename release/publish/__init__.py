"""Release stores and the converging publish.

``converge`` holds every publishing decision; a store only has to implement the small
:class:`Publisher` protocol: :class:`LocalStore` (the embedded default) or
``release.publish.github.GitHubPublisher`` (imported on demand: it pulls in PyGithub).
"""

from release.publish._protocol import (
    AssetView,
    MakeLatest,
    Publisher,
    ReleaseSettings,
    ReleaseState,
    ReleaseView,
)
from release.publish._retry import RetryPolicy
from release.publish.converge import (
    Plan,
    PlanStep,
    Recorder,
    ensure_draft,
    local_assets,
    own_release,
    plan_promote,
    plan_publish,
    promote,
    publish_prerelease,
)
from release.publish.factory import open_publisher
from release.publish.local import LocalStore
from release.publish.pulls import PullRequest, PullRequests

__all__ = [
    "AssetView",
    "LocalStore",
    "MakeLatest",
    "Plan",
    "PlanStep",
    "Publisher",
    "PullRequest",
    "PullRequests",
    "Recorder",
    "ReleaseSettings",
    "ReleaseState",
    "ReleaseView",
    "RetryPolicy",
    "ensure_draft",
    "local_assets",
    "open_publisher",
    "own_release",
    "plan_promote",
    "plan_publish",
    "promote",
    "publish_prerelease",
]
