"""The REST API under ``/api`` (see docs/PROTOCOL.md for the contract)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import unquote

from twisted.web.server import Request

from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Language
from lingualeap.ports import InstanceRegistry, UserRecord
from lingualeap.services.accounts import AccountService, Session, profile, public_user
from lingualeap.services.leaderboards import LeaderboardService, parse_limit, parse_period
from lingualeap.services.results import ResultsService
from lingualeap.services.tokens import Claims
from lingualeap.transports.client_ip import ClientAddresses
from lingualeap.transports.http.json_resource import Handler, JsonResource, JsonResponse, read_json
from lingualeap.transports.identity import origin_allowed, token_from

MAX_LEADERBOARD = 100
MAX_HISTORY = 50
#: Methods that change something: from a browser, they must come from a page we trust.
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _session_cookie(request: Request, token: str, max_age: int) -> bytes:
    secure = b"; Secure" if request.isSecure() else b""
    return (
        b"jwt=" + token.encode("ascii") + b"; Path=/; HttpOnly; SameSite=Lax; Max-Age="
        + str(max_age).encode() + secure
    )


def _headers(request: Request) -> dict[str, str]:
    return {
        k.decode("latin-1").lower(): v[0].decode("latin-1")
        for k, v in request.requestHeaders.getAllRawHeaders()
    }


class Api:
    """Binds the HTTP routes to the account and results services."""

    def __init__(
        self,
        accounts: AccountService,
        results: ResultsService,
        languages: Mapping[str, Language],
        instances: InstanceRegistry,
        max_body_bytes: int,
        token_ttl: float,
        *,
        allowed_origins: tuple[str, ...] = (),
        addresses: ClientAddresses | None = None,
        boards: LeaderboardService | None = None,
    ) -> None:
        self._accounts = accounts
        self._results = results
        self._languages = languages
        self._instances = instances
        self._limit = max_body_bytes
        self._ttl = int(token_ttl)
        self._origins = allowed_origins
        self._addresses = addresses or ClientAddresses()
        self._boards = boards

    def resource(self) -> JsonResource:
        r = _OriginCheckedResource(self._same_site)
        r.route("POST", "users", self.register)
        r.route("POST", "users/auth", self.login)
        r.route("POST", "users/logout", self.logout)
        r.route("GET", "users/profile", self.get_profile)
        r.route("PUT", "users/profile", self.put_profile)
        r.route("DELETE", "users/{user_id}", self.delete_user)
        r.route("GET", "users/{name}/totalXP", self.total_xp)
        r.route("GET", "users/{name}/history", self.history)
        r.route("POST", "users/{name}/addXP", self.add_xp)
        r.route("GET", "leaderboard/global", self.global_leaderboard)
        r.route("GET", "leaderboard/game/{room_id}", self.game_leaderboard)
        r.route("GET", "leaderboard/{language}", self.language_leaderboard)
        r.route("GET", "languages", self.languages)
        r.route("GET", "cluster", self.cluster)
        return r

    # -- helpers ---------------------------------------------------------------------------
    def _same_site(self, request: Request) -> bool:
        """Cross-site request forgery guard for requests a browser sends with our cookie.

        A request carrying ``Authorization: Bearer`` cannot be forged by another site (a page
        cannot add that header cross-origin without a CORS grant we never give); anything else
        may ride on the ``jwt`` cookie (or log a victim into an attacker's account), so its
        ``Origin``, when a browser sends one, must be ours or allow-listed. ``SameSite=Lax``
        already keeps the cookie off cross-site POSTs in current browsers; this is the second
        lock for older ones and for same-site-but-cross-origin pages.
        """
        if (request.getHeader(b"authorization") or b"").lower().startswith(b"bearer "):
            return True
        origin = request.getHeader(b"origin")
        host = request.getHeader(b"host")
        return origin_allowed(
            origin.decode("latin-1") if origin is not None else None,
            host.decode("latin-1") if host is not None else None,
            self._origins,
        )

    def _address(self, request: Request) -> str:
        return self._addresses.of_request(request)

    async def _caller(self, request: Request) -> tuple[UserRecord, Claims]:
        token = token_from({}, _headers(request))
        if token is None:
            raise GameError("unauthorized", "Not authorized, no token")
        return await self._accounts.authenticate(token)

    def _signed_in(self, request: Request, status: int, session: Session) -> JsonResponse:
        return JsonResponse(
            status,
            {**public_user(session.user), "token": session.token},
            cookies=[_session_cookie(request, session.token, self._ttl)],
        )

    # -- accounts --------------------------------------------------------------------------
    async def register(self, request: Request, params: dict[str, str]) -> JsonResponse:
        body = read_json(request, self._limit)
        session = await self._accounts.register(body.get("name"), body.get("email"), body.get("password"),
                                                address=self._address(request))
        return self._signed_in(request, 201, session)

    async def login(self, request: Request, params: dict[str, str]) -> JsonResponse:
        body = read_json(request, self._limit)
        session = await self._accounts.login(body.get("email"), body.get("password"), address=self._address(request))
        return self._signed_in(request, 200, session)

    async def logout(self, request: Request, params: dict[str, str]) -> JsonResponse:
        clear = [_session_cookie(request, "", 0)]
        if (request.args.get(b"all") or [b""])[0].lower() in (b"1", b"true", b"yes"):
            # Everywhere: every token of the account, on every instance (needs a valid token).
            user, claims = await self._caller(request)
            await self._accounts.logout_everywhere(user, claims)
            return JsonResponse(200, {"message": "Logged out everywhere"}, cookies=clear)
        token = token_from({}, _headers(request))
        if token is not None:
            try:
                _, claims = await self._accounts.authenticate(token)
            except GameError:
                pass  # already unusable: clearing the cookie is all that is left to do
            else:
                await self._accounts.logout(claims)
        return JsonResponse(200, {"message": "Logged out successfully"}, cookies=clear)

    async def get_profile(self, request: Request, params: dict[str, str]) -> JsonResponse:
        user, _ = await self._caller(request)
        return JsonResponse(200, await self._accounts.profile(user))

    async def put_profile(self, request: Request, params: dict[str, str]) -> JsonResponse:
        user, _ = await self._caller(request)
        body = read_json(request, self._limit)
        session = await self._accounts.update_profile(user, body)
        return JsonResponse(
            200,
            {**profile(session.user), "token": session.token},
            cookies=[_session_cookie(request, session.token, self._ttl)],
        )

    async def delete_user(self, request: Request, params: dict[str, str]) -> JsonResponse:
        user, _ = await self._caller(request)
        await self._accounts.delete(user, unquote(params["user_id"]))
        return JsonResponse(200, {"message": "User removed"}, cookies=[_session_cookie(request, "", 0)])

    async def total_xp(self, request: Request, params: dict[str, str]) -> JsonResponse:
        return JsonResponse(200, await self._accounts.total_xp(unquote(params["name"])))

    async def history(self, request: Request, params: dict[str, str]) -> JsonResponse:
        raw = (request.args.get(b"limit") or [b"10"])[0]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_HISTORY:
            raise GameError("invalid_field", f"limit must be 1-{MAX_HISTORY}")
        return JsonResponse(200, await self._accounts.history(unquote(params["name"]), int(raw)))

    async def add_xp(self, request: Request, params: dict[str, str]) -> JsonResponse:
        user, _ = await self._caller(request)
        body = read_json(request, self._limit)
        return JsonResponse(200, await self._accounts.grant(user, unquote(params["name"]), body.get("reason")))

    # -- leaderboards and reference data ---------------------------------------------------
    async def global_leaderboard(self, request: Request, params: dict[str, str]) -> JsonResponse:
        raw = (request.args.get(b"limit") or [b"10"])[0]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LEADERBOARD:
            raise GameError("invalid_field", f"limit must be 1-{MAX_LEADERBOARD}")
        return JsonResponse(200, await self._results.global_top(int(raw)))

    async def language_leaderboard(self, request: Request, params: dict[str, str]) -> JsonResponse:
        """``?period=alltime|weekly|daily&limit=N&around=me`` (around me needs a token)."""
        language = unquote(params["language"])
        if self._boards is None or language not in self._languages:
            raise GameError("unknown_language", f"no leaderboard for language {language!r}")

        def arg(name: bytes) -> str | None:
            values = request.args.get(name)
            return values[0].decode("utf-8", "replace") if values else None

        period, limit, around = parse_period(arg(b"period")), parse_limit(arg(b"limit")), arg(b"around")
        if around not in (None, "me"):
            raise GameError("invalid_field", "around must be 'me'")
        me = (await self._caller(request))[0].id if around == "me" else None
        return JsonResponse(200, await self._boards.query(language, period, limit, around=me))

    async def game_leaderboard(self, request: Request, params: dict[str, str]) -> JsonResponse:
        room_id = unquote(params["room_id"])
        board = await self._results.room_top(room_id)
        if board is None:
            raise GameError("unknown_room", f"no leaderboard for room {room_id}")
        return JsonResponse(200, board)

    async def languages(self, request: Request, params: dict[str, str]) -> JsonResponse:
        return JsonResponse(
            200,
            [{"id": lang.id, "name": lang.name, "words": len(lang.pairs)} for lang in self._languages.values()],
        )

    async def cluster(self, request: Request, params: dict[str, str]) -> JsonResponse:
        return JsonResponse(200, {"instances": await self._instances.live()})


class _OriginCheckedResource(JsonResource):
    """Refuses state-changing requests that fail the cross-site check (403) before routing."""

    def __init__(self, same_site: Callable[[Request], bool]) -> None:
        super().__init__()
        self._same_site = same_site

    def route(self, method: str, path: str, handler: Handler) -> None:
        if method in STATE_CHANGING:
            handler = self._checked(handler)
        super().route(method, path, handler)

    def _checked(self, handler: Handler) -> Handler:
        async def checked(request: Request, params: dict[str, str]) -> JsonResponse:
            if not self._same_site(request):
                raise GameError("forbidden", "cross-origin request refused: this page's origin is not allowed")
            return await handler(request, params)

        return checked
