"""Run one ``publish_prerelease`` in its own process, so tests can SIGKILL it anywhere.

GitHub backend: the fake server kills this process at the request the test chose.
Local backend: ``--kill-at-replace N --kill-when before|after`` kills it around the N-th
``os.replace`` (the commit point of every atomic write in the store), by wrapping
``os.replace`` here, in the driver, so the product code carries no crash hooks.

The token comes from the environment (``FAKE_GITHUB_TOKEN``), never from argv. The
journal is one JSON line per recorded step. On success the final release view is printed
as JSON on stdout; a ReleaseToolError prints ``error: ...`` on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # ``tests``: import fakes.*

from fakes.publishing import RELEASE_BODY, RELEASE_NAME, github_publisher
from release.errors import ReleaseToolError
from release.publish import LocalStore, Publisher, publish_prerelease

TOKEN_ENV = "FAKE_GITHUB_TOKEN"


def main() -> int:
    args = _parse()
    if args.debug_log:
        import github  # noqa: PLC0415 - importing PyGithub pins its logger to INFO

        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        github.set_log_level(logging.DEBUG)
    if args.kill_at_replace:
        _kill_around_replace(args.kill_at_replace, args.kill_when)
    publisher = _publisher(args)
    files = sorted(path for path in args.files.iterdir() if path.is_file())
    try:
        with args.journal.open("a", encoding="utf-8") as journal:

            def record(step: str, detail: dict[str, object]) -> None:
                journal.write(json.dumps({"step": step, **detail}) + "\n")
                journal.flush()

            view = publish_prerelease(
                publisher,
                tag=args.tag,
                name=RELEASE_NAME,
                body=RELEASE_BODY,
                files=files,
                target_commitish="main",
                record=record,
            )
    except ReleaseToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(view.as_json()))
    return 0


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("github", "local"), required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--files", type=Path, required=True, help="directory of artifacts")
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--base-url", help="fake GitHub API URL (github backend)")
    parser.add_argument("--repo", default="acme/widgets")
    parser.add_argument("--store", type=Path, help="store directory (local backend)")
    parser.add_argument("--kill-at-replace", type=int, default=0)
    parser.add_argument("--kill-when", choices=("before", "after"), default="before")
    parser.add_argument("--debug-log", action="store_true", help="DEBUG logging on stderr")
    return parser.parse_args()


def _publisher(args: argparse.Namespace) -> Publisher:
    if args.backend == "local":
        return LocalStore(args.store)
    return github_publisher(args.base_url, repo=args.repo, token=os.environ[TOKEN_ENV])


def _kill_around_replace(nth: int, when: str) -> None:
    real_replace = os.replace
    calls = 0

    def replace(source: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
        nonlocal calls
        calls += 1
        if calls == nth and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(source, dest)
        if calls == nth and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)

    os.replace = replace  # type: ignore[assignment]


if __name__ == "__main__":
    sys.exit(main())
