"""Distribution versions, git steps, CHANGELOG, build, checksums, signing.

Modules by role: ``versions`` (YYWW.patch[-name] and SemVer components), ``_git`` (git I/O
only: branch, cherry-pick, tag, push), ``fixes`` (the fix series), ``manifests`` and
``changelog`` (files a release commit edits), ``bump`` (which components to bump and why,
then that commit), ``build`` (executables and archives),
``checksums``, ``minisign``, ``gpg`` and ``signing`` (verifiable artifacts).
"""
