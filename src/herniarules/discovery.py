"""Finding installed plugins: entry points, their distributions, the allow-list and the lock.

A plugin is a distribution with an entry point in the ``herniarules`` group. The engine may
be told which distributions it may load (``Engine(allow=...)``), by distribution name only
(never by entry-point name, which any package can choose), optionally pinned to a version
and to the digest of the distribution's installed files, like a lock file::

    herniarules-vacuum
    herniarules-honey==0.2.0
    herniarules-classic==0.2.0 sha256:4f0c...e1

:func:`lock_lines` writes such lines for what is installed now (``herniarules plugins
--lock``); :func:`read_lock` reads them back. The digest covers every file the
distribution installed (its ``RECORD``) and, for an editable install, the Python files of
the package its entry point names, so changing a plugin's code after locking it makes the
engine refuse it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:  # importlib.metadata is slow to import; only loading plugins needs it
    from importlib.metadata import Distribution, EntryPoint
    from pathlib import Path

__all__ = [
    "Allowed",
    "Candidate",
    "by_distribution",
    "candidates",
    "digest",
    "lock_lines",
    "normalize",
    "parse_allowed",
    "read_lock",
]

_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"
    r"(?:\s*==\s*(?P<version>[A-Za-z0-9.+!_-]+))?"
    r"(?:\s+sha256:(?P<digest>[0-9a-f]{64}))?$"
)


def normalize(name: str) -> str:
    """Return the PEP 503 normal form of a distribution name (``herniarules-vacuum``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@attrs.frozen
class Allowed:
    """One line of an allow-list: a distribution, optionally pinned."""

    name: str
    """The distribution name, normalized."""
    version: str | None = None
    digest: str | None = None
    """The sha256 of the distribution's installed files, as :func:`digest` computes it."""


def parse_allowed(entries: Collection[str]) -> dict[str, Allowed]:
    """Parse allow-list entries; raise ``ValueError`` naming a malformed one."""
    if isinstance(entries, str):
        raise TypeError("allow must be a collection of distribution names, not one string")
    allowed: dict[str, Allowed] = {}
    for entry in entries:
        text = entry.strip() if isinstance(entry, str) else None
        match = _LINE.match(text) if text else None
        if match is None:
            raise ValueError(
                f"allow: {entry!r} is not 'name', 'name==version' or "
                "'name==version sha256:<64 hex digits>'"
            )
        name = normalize(match["name"])
        if match["digest"] and not match["version"]:
            raise ValueError(f"allow: {entry!r} pins a digest without a version")
        allowed[name] = Allowed(name, match["version"], match["digest"])
    return allowed


def read_lock(path: str | os.PathLike[str]) -> list[str]:
    """Return the entries of a lock file: one per line, ``#`` comments and blanks skipped."""
    with open(path, encoding="utf-8") as file:
        lines = file.read().splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


@attrs.frozen
class Candidate:
    """An installed entry point with its distribution, not yet imported."""

    entry_point: EntryPoint
    name: str
    """The distribution's name as it spells it."""
    version: str
    distribution: Distribution | None


def candidates(group: str) -> list[Candidate]:
    """Return the entry points of ``group``, sorted by distribution name, then entry point."""
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=group):
        dist = ep.dist
        if dist is None:  # pragma: no cover - entry points always come from a distribution
            found.append(Candidate(ep, ep.name, "unknown", None))
        else:
            found.append(Candidate(ep, dist.metadata["Name"], dist.version, dist))
    return sorted(found, key=lambda c: (normalize(c.name), c.entry_point.name))


def _files(group: list[Candidate]) -> Iterator[tuple[str, Path]]:
    """Yield ``(portable name, path)`` for every file that makes up one distribution."""
    from pathlib import Path

    dist = group[0].distribution
    if dist is not None:
        for file in dist.files or ():
            if file.name == "RECORD" or "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            path = Path(str(file.locate()))
            if path.is_file():
                yield file.as_posix(), path
    from importlib.util import find_spec

    # An editable install records a path hook, not the code: hash the packages' own files.
    for top in sorted({c.entry_point.module.split(".")[0] for c in group}):
        try:
            spec = find_spec(top)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        for root in spec.submodule_search_locations or ():
            for path in sorted(Path(root).rglob("*.py")):
                if "__pycache__" not in path.parts:
                    yield f"{top}/{path.relative_to(root).as_posix()}", path
        if not spec.submodule_search_locations and spec.origin and os.path.isfile(spec.origin):
            yield f"{top}.py", Path(spec.origin)


def digest(group: list[Candidate]) -> str:
    """Return the sha256 over one distribution's files (name and contents of each).

    ``group`` is the distribution's entry points (from :func:`candidates`). The files are
    read without importing the plugin, so a lock can refuse it before any of its code runs.
    Names are relative to the install location, so the digest is the same on every machine
    that installs the same files.
    """
    import hashlib  # only a pinned digest needs it

    entries: dict[str, bytes] = {}
    for name, path in _files(group):
        entries.setdefault(name, hashlib.sha256(path.read_bytes()).digest())
    total = hashlib.sha256()
    for name in sorted(entries):
        total.update(name.encode() + b"\0" + entries[name])
    return total.hexdigest()


def by_distribution(found: list[Candidate]) -> dict[str, list[Candidate]]:
    """Group candidates by normalized distribution name, keeping their order."""
    groups: dict[str, list[Candidate]] = {}
    for candidate in found:
        groups.setdefault(normalize(candidate.name), []).append(candidate)
    return groups


def lock_lines(group: str) -> list[str]:
    """Return one pinned allow-list line per installed plugin distribution of ``group``."""
    return [
        f"{members[0].name}=={members[0].version} sha256:{digest(members)}"
        for members in by_distribution(candidates(group)).values()
    ]
