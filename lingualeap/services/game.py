"""Playing in rooms, wherever they are hosted.

Every instance takes commands from its own players; a command for a room goes to the room's
owner (a lease says which instance that is): straight to the local :class:`RoomHost`, or over
the backplane to another instance. Before a local player enters a room, this instance starts
watching the room's events, so the player never misses the first ones. A room without a live
owner (it died, or handed its rooms over on shutdown) is adopted by an instance that has
members there or that receives a command for it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.python.failure import Failure

from lingualeap.clock import Cancellable, Clock

from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Language, Player
from lingualeap.domain.room import RoomState, Rules
from lingualeap.ports import QueuedPlayer, RoomLeases, RoomStore
from lingualeap.services.cluster import Cluster, Undelivered
from lingualeap.services.fanout import Fanout
from lingualeap.services.one_at_a_time import OneAtATime
from lingualeap.services.room_host import RoomHost
from lingualeap.services.word_choice import WordChooser

#: Attempts to find or create a private room when instances race to create the same id.
CREATE_ATTEMPTS = 3
#: Seconds between checks that the rooms we have members in still have a live owner.
ORPHAN_CHECK_INTERVAL = 1.0


def new_room_id(prefix: str = "m") -> str:
    # 64 random bits: unique without coordination, unlike the original's language_timestamp.
    return f"{prefix}-{secrets.token_hex(8)}"


def _player(raw: Any) -> Player:
    return Player(str(raw["id"]), str(raw["username"]), bool(raw.get("guest", False)))


def _wire(player: Player) -> dict[str, Any]:
    return {"id": player.id, "username": player.username, "guest": player.guest}


class GameService:
    log = Logger()

    def __init__(
        self,
        *,
        host: RoomHost,
        cluster: Cluster,
        fanout: Fanout,
        leases: RoomLeases,
        rooms: RoomStore,
        languages: Mapping[str, Language],
        clock: Clock,
    ) -> None:
        self._host = host
        self._reactor = clock.reactor_time
        self._store = rooms
        self._cluster = cluster
        self._fanout = fanout
        self._leases = leases
        self._languages = languages
        self.instance_id = cluster.instance_id
        cluster.on_room_batch(fanout.room_batch)
        cluster.on_resubscribe(fanout.resync)
        fanout.on_still_here(self._back)
        cluster.register("join", self._remote_join)
        cluster.register("leave", self._remote_leave)
        cluster.register("guess", self._remote_guess)
        cluster.register("expect", self._remote_expect)
        cluster.register("disconnect", self._remote_disconnect)
        cluster.register("reconnect", self._remote_reconnect)
        cluster.on_broadcast("handoff", self._handoff_received)
        self._orphan_check: Cancellable | None = None
        self._checking = OneAtATime(self._check_failed)
        #: Who hosts the watched rooms hosted elsewhere, as last read (the orphan check rereads
        #: it every second): a command for such a room goes straight there, no look-up first.
        self._owners: dict[str, str] = {}
        #: Chooses matchmaking rooms' words for their players (``services/word_choice.py``).
        self.words: WordChooser | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, clock: Clock, interval: float = ORPHAN_CHECK_INTERVAL) -> None:
        self._orphan_check = clock.looping_call(interval, self._check_orphans)

    def stop(self) -> None:
        if self._orphan_check is not None:
            self._orphan_check.cancel()
            self._orphan_check = None

    def _check_orphans(self) -> None:
        if self._checking.running:
            return  # the last check is still waiting for the store
        # Rooms hosted here need no question; the others' owners are read in one go.
        rooms = [room_id for room_id in self._fanout.watched() if not self._host.owns(room_id)]
        self._owners = {room_id: self._owners[room_id] for room_id in rooms if room_id in self._owners}
        if rooms:
            self._checking.run(lambda: self._adopt_orphans(rooms))

    def _check_failed(self, failure: Failure) -> None:
        # Expected while Redis is away; the next check tries again.
        self.log.warn("checking the owners of watched rooms failed: {e}", e=failure.getErrorMessage())

    async def _adopt_orphans(self, rooms: list[str]) -> None:
        owners = await self._leases.owners(rooms)
        for room_id in rooms:
            self._remember(room_id, owners.get(room_id))
            if owners.get(room_id) is None:
                try:
                    await self._host.adopt(room_id)
                except Exception as e:
                    self.log.warn("adopting {room} failed: {e}", room=room_id, e=e)

    def _handoff_received(self, data: dict[str, Any]) -> None:
        watched = set(self._fanout.watched())
        rooms = [str(room_id) for room_id in data.get("rooms", ()) if str(room_id) in watched]
        if rooms:
            d = Deferred.fromCoroutine(self._adopt_orphans(rooms))
            d.addErrback(lambda f: self.log.failure("adopting handed-off rooms failed", f))

    async def hand_off(self) -> None:
        """Shutdown: give up hosted rooms and tell the other instances to adopt them now."""
        rooms = await self._host.hand_off()
        if rooms:
            self.log.info("handing off {count} rooms", count=len(rooms))
            await self._cluster.broadcast_message("handoff", {"rooms": rooms})

    # -- queries ---------------------------------------------------------------------------
    @property
    def rules(self) -> Rules:
        return self._host.rules

    def room_of(self, player_id: str) -> str | None:
        return self._fanout.room_of(player_id)

    def room(self, room_id: str) -> RoomState | None:
        """The room's state if this instance hosts it."""
        return self._host.room(room_id)

    def active_rooms(self) -> int:
        return self._host.count()

    def language(self, language_id: object) -> Language:
        if not isinstance(language_id, str) or language_id not in self._languages:
            known = ", ".join(sorted(self._languages))
            raise GameError("unknown_language", f"unknown language {language_id!r}; use one of {known}")
        return self._languages[language_id]

    # -- commands --------------------------------------------------------------------------
    async def create_match(self, queued: Sequence[QueuedPlayer], language_id: str) -> str:
        """Host a matchmaking room for players who may be connected to any instance, with words
        chosen for them (adaptive words, when a chooser is set; else drawn at random)."""
        language = self.language(language_id)
        room_id = new_room_id("m")
        by_instance: dict[str, list[str]] = {}
        for entry in queued:
            by_instance.setdefault(entry.instance, []).append(entry.player.id)
        for instance, player_ids in by_instance.items():
            await self._cluster.call(instance, "expect", {"room": room_id, "players": player_ids})
        players = [q.player for q in queued]
        words = await self.words.choose(language.id, players, self.rules.rounds) if self.words else None
        if not await self._host.create(room_id, language.id, private=False, players=players, words=words):
            # Its lease was taken meanwhile: nobody would host the room its players expect.
            raise GameError("unavailable", f"room {room_id} could not be created")
        return room_id

    async def join_room(self, player: Player, room_id: str, language_id: object) -> None:
        current = self.room_of(player.id)
        if current is not None and current != room_id:
            raise GameError("already_in_room", f"you are already in room {current}; leave it first")
        language = self.language(language_id) if language_id is not None else None
        await self._fanout.expect(room_id, [player.id])
        try:
            await self._join(player, room_id, language.id if language else None)
        except BaseException:
            await self._fanout.forget(room_id, player.id)
            raise

    async def _join(self, player: Player, room_id: str, language: str | None) -> None:
        for _ in range(CREATE_ATTEMPTS):
            owner = await self._leases.owner(room_id)
            if owner is None:
                if language is None:
                    raise GameError("invalid_field", f"language is required to create room {room_id}")
                if not await self._host.create(room_id, language, private=True):
                    continue  # another instance created it first: join theirs
                owner = self.instance_id
            args = {"room": room_id, "player": _wire(player), "language": language}
            await self._cluster.call(owner, "join", args)
            return
        raise GameError("unavailable", f"room {room_id} could not be created; try again")

    async def leave_room(self, player_id: str, room_id: str) -> None:
        await self._route(room_id, "leave", {"room": room_id, "player": player_id})
        await self._fanout.forget(room_id, player_id)

    async def guess(self, player_id: str, room_id: str, text: str) -> None:
        await self._route(room_id, "guess", {"room": room_id, "player": player_id, "guess": text})

    async def player_gone(self, player_id: str) -> None:
        """The player's last connection here closed: their seat is kept for a grace period."""
        room_id = self.room_of(player_id)
        if room_id is None:
            return
        await self._fanout.forget(room_id, player_id)
        self._notify_owner(room_id, "disconnect", {"room": room_id, "player": player_id})

    async def resume(self, player: Player, room_id: str, last_seq: int) -> None:
        """A player reconnected (to any instance): back to their seat, with what they missed."""
        current = self.room_of(player.id)
        if current is not None and current != room_id:
            raise GameError("already_in_room", f"you are already in room {current}; leave it first")
        state = await self._store.load(room_id)
        if state is None or state.is_over:
            raise GameError("unknown_room", f"room {room_id} is over")
        if state.member(player.id) is None:
            raise GameError("not_in_room", f"your seat in room {room_id} was given up")
        self._fanout.hold(room_id, player.id)
        try:
            await self._fanout.expect(room_id, [player.id])
            logged = await self._store.events_since(room_id, last_seq)
            latest = await self._store.load(room_id) or state
        except BaseException:
            await self._fanout.forget(room_id, player.id)
            raise
        self._fanout.replay(room_id, player.id, last_seq, logged, latest)
        # The player is back in the room's stream already; telling the owner may have to wait
        # until a dead owner's room has been adopted, so it retries in the background.
        self._back(room_id, player.id)

    def _back(self, room_id: str, player_id: str) -> None:
        self._notify_owner(room_id, "reconnect", {"room": room_id, "player": player_id})

    def _notify_owner(self, room_id: str, operation: str, args: dict[str, Any], attempts: int = 15) -> None:
        async def notify() -> None:
            for attempt in range(attempts):
                try:
                    await self._route(room_id, operation, args)
                    return
                except GameError as e:
                    if e.code != "unavailable" or attempt == attempts - 1:
                        self.log.info("could not tell room {room} about {op}: {e}", room=room_id, op=operation, e=e.message)
                        return
                await deferLater(self._reactor, 1.0, lambda: None)

        d = Deferred.fromCoroutine(notify())
        d.addErrback(lambda f: self.log.failure("telling room {room} about {op} failed", f, room=room_id, op=operation))

    async def _route(self, room_id: str, operation: str, args: dict[str, Any]) -> Any:
        if self._host.owns(room_id):
            # Hosted here: no need to ask the shared store, which may be unreachable.
            return await self._cluster.call(self.instance_id, operation, args)
        known = self._owners.get(room_id)
        if known is not None:
            try:
                return await self._cluster.call(known, operation, args)
            except GameError as e:
                if e.code in ("unavailable", "unknown_room"):
                    self._owners.pop(room_id, None)
                # Only a command that certainly was not carried out is sent on: that instance
                # is gone, or no longer hosts the room (taken over, or over).
                if not (isinstance(e, Undelivered) or e.code == "unknown_room"):
                    raise
        owner = await self._find_owner(room_id)
        self._remember(room_id, owner)
        return await self._cluster.call(owner, operation, args)

    async def _find_owner(self, room_id: str) -> str:
        owner = await self._leases.owner(room_id)
        if owner is None:
            # Nobody hosts it: the owner died or handed it over. Adopt it if it still exists.
            if await self._host.adopt(room_id):
                owner = self.instance_id
            else:
                owner = await self._leases.owner(room_id)
        if owner is None:
            raise GameError("unknown_room", f"no room {room_id}")
        return owner

    def _remember(self, room_id: str, owner: str | None) -> None:
        if owner is None or owner == self.instance_id or room_id not in self._fanout.watching:
            self._owners.pop(room_id, None)
        else:
            self._owners[room_id] = owner

    # -- what the owner does for other instances ---------------------------------------------
    def _state(self, room_id: str) -> RoomState:
        state = self._host.room(room_id)
        if state is None:
            raise GameError("unknown_room", f"no room {room_id}")
        return state

    async def _remote_join(self, args: dict[str, Any]) -> None:
        room_id = str(args["room"])
        state = self._state(room_id)
        language = args.get("language")
        if language is not None and language != state.language:
            raise GameError("invalid_field", f"room {room_id} plays {state.language}, not {language}")
        self._host.join(room_id, _player(args["player"]))

    async def _remote_leave(self, args: dict[str, Any]) -> None:
        self._host.leave(str(args["room"]), str(args["player"]))

    async def _remote_guess(self, args: dict[str, Any]) -> None:
        self._host.guess(str(args["room"]), str(args["player"]), str(args["guess"]))

    async def _remote_expect(self, args: dict[str, Any]) -> None:
        await self._fanout.expect(str(args["room"]), [str(p) for p in args["players"]])

    async def _remote_disconnect(self, args: dict[str, Any]) -> None:
        self._host.disconnect(str(args["room"]), str(args["player"]))

    async def _remote_reconnect(self, args: dict[str, Any]) -> None:
        self._host.reconnect(str(args["room"]), str(args["player"]))
