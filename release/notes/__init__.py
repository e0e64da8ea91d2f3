"""Rendered documents: release bodies, the dev blog post, SPO rollback and upgrade notes.

Each document has a small input dataclass the pipeline fills, and a rendering function
backed by a Jinja2 template from ``release/templates/`` that a repository may override in its
``.release/templates/``.
"""

from release.notes.affected import DeployedAggregator, OperatorImpact
from release.notes.blog import (
    BlogPostInput,
    BlogUpdate,
    SignerInstruction,
    blog_post_path,
    find_blog_post,
    new_blog_post,
    promoted_networks,
    signer_instructions,
    update_blog_post,
)
from release.notes.errors import (
    BlogPostFormatError,
    NetworksFileError,
    NotesError,
    RegressionReportError,
    TemplateError,
)
from release.notes.inputs import Archive, ComponentVersion, Verification, install_command
from release.notes.networks import (
    CardanoNetwork,
    MithrilNetwork,
    ReleaseStage,
    compatibility,
    load_networks,
    parse_networks,
)
from release.notes.regression import (
    PairOutcome,
    RegressionReport,
    RegressionSummary,
    load_report,
    parse_report,
)
from release.notes.release_body import ReleaseBodyInput, render_release_body
from release.notes.spo import (
    NOTE_FILES,
    ComponentUpgrade,
    RollbackInput,
    UpgradeInput,
    render_rollback,
    render_upgrade,
)
from release.notes.templates import OVERRIDE_DIR

__all__ = [
    "NOTE_FILES",
    "OVERRIDE_DIR",
    "Archive",
    "BlogPostFormatError",
    "BlogPostInput",
    "BlogUpdate",
    "CardanoNetwork",
    "ComponentUpgrade",
    "ComponentVersion",
    "DeployedAggregator",
    "MithrilNetwork",
    "NetworksFileError",
    "NotesError",
    "OperatorImpact",
    "PairOutcome",
    "RegressionReport",
    "RegressionReportError",
    "RegressionSummary",
    "ReleaseBodyInput",
    "ReleaseStage",
    "RollbackInput",
    "SignerInstruction",
    "TemplateError",
    "UpgradeInput",
    "Verification",
    "blog_post_path",
    "compatibility",
    "find_blog_post",
    "install_command",
    "load_networks",
    "load_report",
    "new_blog_post",
    "parse_networks",
    "parse_report",
    "promoted_networks",
    "render_release_body",
    "render_rollback",
    "render_upgrade",
    "signer_instructions",
    "update_blog_post",
]
