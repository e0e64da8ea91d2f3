"""Facts of Mithril's aggregator API that the signer, the server and the tasks share, in a
module that imports nothing (the executables and ``inv --list`` read them at start)."""

from __future__ import annotations

#: Where the API is served: signers are given ``http://host:port/aggregator``.
BASE_PATH = "/aggregator"
#: The API version the aggregator announces (openapi 0.1.54 at distribution 2543.0).
API_VERSION_HEADER = "mithril-api-version"
API_VERSION = "0.1.54"
#: Far above an honest registration (about 8 KiB of hex JSON).
MAX_BODY_BYTES = 64 * 1024
