"""Custom networks (devnets, forks) from a TOML or JSON file, and network lookup by name.

The file maps a network name to its parameters, either at the top level or under a
``networks`` table::

    [devnet]
    epoch_length = 600
    slot_length = 0.1
    slots_per_kes_period = 129600
    max_kes_evolutions = 62
    shelley_epoch = 0
    shelley_slot = 0
    shelley_start = "2025-01-01T00:00:00Z"
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from release.chain.errors import NetworkConfigError, UnknownNetworkError
from release.chain.network import NETWORKS, Network

PARAMETERS = tuple(field.name for field in fields(Network) if field.name != "name")
_INTEGER_PARAMETERS = frozenset(PARAMETERS) - {"slot_length", "shelley_start"}


def _read_document(path: Path) -> object:
    try:
        raw = path.read_bytes()
    except OSError as failure:
        raise NetworkConfigError(
            f"cannot read the networks file {path}: {failure.strerror}"
        ) from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            return tomllib.loads(raw.decode("utf-8"))
        if suffix == ".json":
            return json.loads(raw)
    except (tomllib.TOMLDecodeError, ValueError) as failure:
        raise NetworkConfigError(f"{path}: not valid {suffix[1:].upper()}: {failure}") from None
    raise NetworkConfigError(
        f"{path}: a networks file is .toml or .json, not {suffix or 'extensionless'}"
    )


def _start_time(where: str, key: str, value: object) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise NetworkConfigError(f"{where}: {key} is not an ISO 8601 time: {value!r}") from None
    else:
        raise NetworkConfigError(f'{where}: {key} must be a time such as "2025-01-01T00:00:00Z"')
    if moment.utcoffset() is None:
        raise NetworkConfigError(f"{where}: {key} has no timezone (add Z for UTC)")
    return moment.astimezone(UTC)


def network_from_table(name: str, table: object, *, where: str) -> Network:
    """A network from its parameter table; errors name ``where`` (a file) and the key."""
    if not isinstance(table, Mapping):
        raise NetworkConfigError(f"{where}: network {name!r} must be a table of parameters")
    unknown = sorted(set(table) - set(PARAMETERS) - {"name"})
    if unknown:
        raise NetworkConfigError(
            f"{where}: network {name!r} has unknown key(s) {', '.join(unknown)}; "
            f"expected {', '.join(PARAMETERS)}"
        )
    missing = [key for key in PARAMETERS if key not in table]
    if missing:
        raise NetworkConfigError(f"{where}: network {name!r} is missing {', '.join(missing)}")
    values: dict[str, object] = {}
    for key in PARAMETERS:
        value, qualified = table[key], f"{name}.{key}"
        if key == "shelley_start":
            values[key] = _start_time(where, qualified, value)
        elif key in _INTEGER_PARAMETERS and type(value) is not int:
            raise NetworkConfigError(f"{where}: {qualified} must be an integer, got {value!r}")
        else:
            values[key] = value
    try:
        return Network(name=name, **values)  # type: ignore[arg-type]
    except NetworkConfigError as failure:
        raise NetworkConfigError(f"{where}: {failure}") from None


def load_networks(path: str | Path) -> dict[str, Network]:
    """The networks a TOML or JSON file defines (built-in names may not be redefined)."""
    path = Path(path)
    document = _read_document(path)
    if isinstance(document, Mapping) and set(document) == {"networks"}:
        document = document["networks"]
    if not isinstance(document, Mapping) or not document:
        raise NetworkConfigError(
            f"{path}: expected a table of networks, e.g. [devnet] with its parameters"
        )
    networks = {}
    for name, table in document.items():
        if name in NETWORKS:
            raise NetworkConfigError(
                f"{path}: {name!r} is a built-in network; give the custom one another name"
            )
        networks[name] = network_from_table(name, table, where=str(path))
    return networks


def get_network(name: str, custom: Mapping[str, Network] | None = None) -> Network:
    """A built-in or custom network by name."""
    known = {**NETWORKS, **(custom or {})}
    try:
        return known[name]
    except KeyError:
        raise UnknownNetworkError(
            f"unknown network {name!r}; known networks: {', '.join(sorted(known))}"
            + ("" if custom else " (define others with a networks file)")
        ) from None


def get_networks(
    names: Iterable[str], custom: Mapping[str, Network] | None = None
) -> list[Network]:
    """Networks by name, in the order given, without duplicates."""
    return [get_network(name, custom) for name in dict.fromkeys(names)]
