"""``Emulator``: the whole in-memory HipChat — records, operations, limits, faults and journal.

One instance per app (``app.extensions["emulator"]``). The add-on side reuses its methods
(``create_client``, ``delete_client``, ``post_notification``, ``post_user_message``,
``subscribe``...) directly, without HTTP.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from addon.emulator.exceptions import NotFoundError
from addon.emulator.state.faults import Fault
from addon.emulator.state.limits import Window
from addon.emulator.state.models import Emoticon
from addon.emulator.state.oauth import OAuthOps

if TYPE_CHECKING:
    from addon.emulator.addons.host import AddonHost


class Emulator(OAuthOps):
    """The emulated HipChat group and everything in it (seeded unless EMULATOR_EMPTY)."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config)
        self.seed_info: dict[str, Any] = {}
        #: the add-on side (installations, webhook delivery), attached by ``create_app``
        self.addons: AddonHost | None = None
        self._seed()

    def _seed(self) -> None:
        from addon.emulator.seed import seed

        self.seed_info = {} if self.config.get("EMULATOR_EMPTY") else seed(self)

    def reset(self) -> None:
        """Back to the initial (seeded, or empty) state: records, clients, tokens, counters,
        faults, journal, installations and delivery log are cleared (no add-on is told);
        subscribers and the base URL are kept."""
        with self.transaction():
            self._clear_records()
            self.rate.clear()
            self.flood.clear()
            self.faults.clear()
            self.journal.clear()
            if self.addons is not None:
                self.addons.clear()
            self._seed()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued webhook delivery (and the replies it posts) has finished;
        False if ``timeout`` seconds passed first. True at once without an add-on side."""
        return self.addons.wait_idle(timeout) if self.addons is not None else True

    # -- limits, faults, journal -----------------------------------------------------------------

    def count_request(self, key: Hashable) -> Window:
        """Count one API request against ``key``'s rate limit (``allowed`` False past it)."""
        with self.lock:
            return self.rate.hit(key)

    def peek_rate(self, key: Hashable) -> Window:
        """``key``'s rate-limit window without counting."""
        with self.lock:
            return self.rate.peek(key)

    def count_flood(self, key: Hashable, recipient: Hashable) -> Window:
        """Count one message sent by ``key`` to ``recipient`` (flood control, §6.12)."""
        with self.lock:
            return self.flood.hit((key, recipient))

    def add_fault(self, spec: dict[str, Any]) -> Fault:
        """Add a fault rule (see ``FaultRules.add``)."""
        with self.lock:
            return self.faults.add(spec)

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Use up the first fault rule matching this request, if any."""
        with self.lock:
            return self.faults.take(method, path)

    def record_request(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append a request record to the journal."""
        with self.lock:
            return self.journal.add(entry)

    def requests(self) -> list[dict[str, Any]]:
        """The journal, oldest first."""
        with self.lock:
            return self.journal.items()

    # -- emoticons and group ---------------------------------------------------------------------

    def add_emoticon(
        self, shortcut: str, *, type: str = "global", creator_id: int | None = None, **extra: Any
    ) -> Emoticon:
        """Register an emoticon (global or group)."""
        with self.transaction():
            emoticon = Emoticon(
                id=next(self.emoticon_ids),
                shortcut=shortcut,
                type=type,
                creator_id=creator_id,
                **extra,
            )
            self.emoticons[emoticon.id] = emoticon
            return emoticon

    def list_emoticons(self, type: str = "all") -> list[Emoticon]:
        """Emoticons ordered by id; ``type`` is global, group or all."""
        with self.lock:
            return [
                e
                for e in sorted(self.emoticons.values(), key=lambda e: e.id)
                if type == "all" or e.type == type
            ]

    def get_emoticon(self, ref: int | str) -> Emoticon:
        """An emoticon by id or shortcut (with or without parentheses); 404 when unknown."""
        with self.lock:
            if isinstance(ref, int) or ref.isdigit():
                found = self.emoticons.get(int(ref))
            else:
                wanted = ref.strip("()").lower()
                found = next(
                    (e for e in self.emoticons.values() if e.shortcut.lower() == wanted), None
                )
            if found is None:
                raise NotFoundError("Emoticon not found")
            return found

    def set_group_avatar(self, avatar: bytes | None) -> None:
        """PUT/DELETE /group/{id}/avatar."""
        with self.transaction():
            self.group.avatar = avatar

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly overview for the admin API (GET /emulator/api/state)."""
        with self.lock:
            shaper = self.shaper()
            return {
                "base_url": self.base_url,
                "group": shaper.group_brief(),
                "users": [
                    {**shaper.user_brief(u), "email": u.email, "is_deleted": u.is_deleted}
                    for u in sorted(self.users.values(), key=lambda u: u.id)
                ],
                "rooms": [
                    {
                        **shaper.room_brief(r),
                        "participants": list(r.participants),
                        "members": sorted(r.members),
                        "messages": len(r.history),
                    }
                    for r in sorted(self.rooms.values(), key=lambda r: r.id)
                ],
                "webhooks": [
                    {
                        **shaper.webhook_brief(h),
                        "room_id": h.room_id,
                        "oauth_client_id": h.oauth_client_id,
                    }
                    for h in sorted(self.webhooks.values(), key=lambda h: h.id)
                ],
                "clients": [
                    {
                        "oauth_id": c.oauth_id,
                        "name": c.name,
                        "room_id": c.room_id,
                        "scopes": list(c.scopes),
                    }
                    for c in self.clients.values()
                ],
                "emoticons": [shaper.emoticon_brief(e) for e in self.list_emoticons()],
                "tokens": len(self.tokens),
                "faults": [f.to_json() for f in self.faults.all()],
                "journal": len(self.journal),
            }
