"""Distribution versions, ``release.toml``, git steps, CHANGELOG, build, checksums, signing.

Modules by role: ``versions`` (YYWW.patch[-name] and SemVer components), ``_settings``
(config), ``_git`` (branch, fixes, tag, push), ``manifests`` and ``changelog`` (files a
release commit edits), ``bump`` (that commit), ``build`` (executables and archives),
``checksums``, ``minisign``, ``gpg`` and ``signing`` (verifiable artifacts).
"""
