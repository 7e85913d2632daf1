"""Emoticon handles: list the group's and global emoticons, fetch one (HIPCHAT.md §6.8)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from addon.hipchat.constants import EmoticonType
from addon.hipchat.resource import Resource, page_params
from addon.hipchat.response import Response


@dataclass(frozen=True)
class EmoticonResource(Resource):
    """A handle on one emoticon (numeric id or shortcut) or on all emoticons."""

    noun = "emoticon"

    def all(
        self, start_index: int = 0, max_results: int = 100, type: EmoticonType | str = "all"
    ) -> Response:
        """One page of emoticons: ``GET emoticon`` with ``type`` global, group or all."""
        params = [*page_params(start_index, max_results), ("type", EmoticonType(type).value)]
        return self.get_json(self.base_path(), params)

    def iter_all(
        self, type: EmoticonType | str = "all", max_results: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every emoticon of that ``type``, page after page."""
        params = [*page_params(0, max_results), ("type", EmoticonType(type).value)]
        return self.iterate(self.base_path(), params)

    def get(self) -> Response:
        """One emoticon: ``GET emoticon/{id_or_shortcut}``."""
        return self.get_json(self.item_path())
