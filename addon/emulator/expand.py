"""Title expansion (HIPCHAT.md §6.2): which nested objects to return in full instead of brief.

``expand=items.from,owner`` becomes a tree of property paths; ``"items" in e`` is true when any
path starts at ``items``, and ``e.child("items")`` gives the paths below it.
"""

from __future__ import annotations

from collections.abc import Iterable


class Expand:
    """An immutable set of dotted property paths to expand."""

    __slots__ = ("paths",)

    def __init__(self, paths: Iterable[str] = ()) -> None:
        self.paths: frozenset[str] = frozenset(p.strip() for p in paths if p and p.strip())

    @classmethod
    def parse(cls, values: Iterable[str] | str | None) -> Expand:
        """Parse one or more comma-separated ``expand`` query values."""
        if values is None:
            return cls()
        if isinstance(values, str):
            values = [values]
        return cls(part for value in values for part in value.split(","))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        prefix = name + "."
        return any(path == name or path.startswith(prefix) for path in self.paths)

    def child(self, name: str) -> Expand:
        """The paths below ``name`` (``items.from`` -> ``from`` for child ``items``)."""
        prefix = name + "."
        return Expand(path[len(prefix) :] for path in self.paths if path.startswith(prefix))

    def __repr__(self) -> str:
        return f"Expand({sorted(self.paths)!r})"


NOTHING = Expand()
