"""Release and hotfix orchestration for Mithril-style distributions.

The library is split by concern: ``kes`` (Sum6 KES, opcerts, envelopes, wire codec),
``chain`` (time model), ``nodes`` (signer/aggregator registration), ``regression``
(epoch-window suite), ``distribution`` (versions, config, git, build, signing),
``publish`` (release stores), ``notes`` (rendered documents) and ``pipeline``.
Invoke tasks live in ``release.tasks`` and stay thin.
"""

__version__ = "0.1.0"
