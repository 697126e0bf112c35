"""BotApiSandbox: the emulated Bot API server, its lifecycle and its inspection API."""

from __future__ import annotations

import re
import socket
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from .clock import as_time_source
from .driver import SimulatedUser
from .errors import ApiError, not_found, unauthorized
from .faults import Faults, FloodGate, FloodLimits
from .files import FileStore
from .methods import BotApiMethods, Described
from .params import Params
from .server import build_app
from .signals import ChangeSignal
from .state import Chat, SandboxState
from .webhook import WebhookDelivery

if TYPE_CHECKING:
    from .inprocess import InProcessRequest

T = TypeVar("T")

# Telegram answers 404 for tokens that are not even shaped like one, 401 for wrong ones.
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class BotApiSandbox:
    """A local Telegram Bot API: real HTTP on loopback for the bot, a Python API for tests."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "reminder_test_bot",
        bot_first_name: str = "Reminder",
        clock: Any = None,
        auto_create_chats: bool = False,
    ) -> None:
        if not _TOKEN_SHAPE.match(token):
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.clock = clock
        self._state = SandboxState(
            token=token,
            bot_id=int(token.split(":", 1)[0]),
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            now=as_time_source(clock),
            auto_create_chats=auto_create_chats,
            files=FileStore(token),
        )
        self.faults = Faults()
        self._flood_limits: FloodLimits | None = None
        self._flood_gate: FloodGate | None = None
        self._webhook = WebhookDelivery(self._state)
        self._methods = BotApiMethods(
            self._state, self.faults, lambda: self._flood_gate, self._webhook.restart
        )
        self._closed = ChangeSignal()
        self._users: dict[int, SimulatedUser] = {}
        self._runner: web.AppRunner | None = None
        self._api_root: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 = any free port); api_root is set once this returns."""
        if self._runner is not None:
            raise RuntimeError("the sandbox is already running")
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError:
            sock.close()
            raise
        app = build_app(self._dispatch, self._download, self.faults.latency_legs)
        # access_log=None: per-request logging would dominate the benchmarks' cost.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._api_root = f"http://{shown}:{bound_port}"
        self._state.closing = False

    async def stop(self) -> None:
        """End long polls and delays, stop webhook delivery and close the server."""
        state = self._state
        state.closing = True
        state.updates.signal.notify()
        self._closed.notify()
        await self._webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiSandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def api_root(self) -> str:
        """Base address, e.g. "http://127.0.0.1:54321"; the bot calls {api_root}/bot{token}/m."""
        if self._api_root is None:
            raise RuntimeError("the sandbox is not started")
        return self._api_root

    @property
    def bot_base_url(self) -> str:
        """What PTB's ApplicationBuilder.base_url()/Bot(base_url=) wants (PTB appends the token)."""
        return f"{self.api_root}/bot"

    @property
    def file_base_url(self) -> str:
        """What PTB's base_file_url() wants, for getFile downloads."""
        return f"{self.api_root}/file/bot"

    def ptb_request(self, read_timeout: float | None = 5.0) -> InProcessRequest:
        """A PTB request object that calls this sandbox in-process (no HTTP, no start needed).

        Use it for both `ApplicationBuilder().request(...)` and `.get_updates_request(...)`
        (two separate objects); HTTP on loopback costs milliseconds per call, this does not.
        """
        from .inprocess import InProcessRequest  # PTB is only imported when asked for

        return InProcessRequest(self._dispatch, self._download, read_timeout)

    # -- identity and simulated users --------------------------------------------------------

    @property
    def token(self) -> str:
        """The only token the sandbox accepts."""
        return self._state.token

    @property
    def bot_id(self) -> int:
        """The bot's user id (the number before ':' in the token)."""
        return self._state.bot_id

    @property
    def bot_username(self) -> str:
        """The bot's @username without the '@'."""
        return self._state.bot_username

    def user(
        self,
        user_id: int = 1001,
        first_name: str = "Ada",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> SimulatedUser:
        """Return the simulated user with this id, creating them (and their chat) once."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive; private chat id == user id")
        chat = self._state.chats.get(user_id) or self._state.new_chat(user_id)
        # A chat auto-created by a bot send gets its real profile once a test names the user.
        chat.first_name, chat.last_name = first_name, last_name
        chat.username, chat.language_code = username, language_code
        user = SimulatedUser(self._state, chat)
        self._users[user_id] = user
        return user

    # -- inspection ---------------------------------------------------------------------------

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every (method, decoded params) received with the right token, in order."""
        return self._state.calls

    @property
    def counters(self) -> Counter[str]:
        """Calls per method name plus failures per status code ("429", "403", ...)."""
        return self._state.counters

    @property
    def commands(self) -> list[dict[str, str]]:
        """The list passed to the last setMyCommands (emptied by deleteMyCommands on it)."""
        return self._state.commands

    @property
    def webhook_url(self) -> str | None:
        """The webhook URL, or None while polling."""
        hook = self._state.webhook
        return hook.url if hook else None

    @property
    def webhook_secret(self) -> str | None:
        """The webhook secret_token, or None."""
        hook = self._state.webhook
        return hook.secret_token if hook else None

    @property
    def pending_update_count(self) -> int:
        """Updates not yet confirmed by getUpdates or delivered to the webhook."""
        return len(self._state.updates)

    def sent_count(self, chat_id: int | None = None) -> int:
        """Messages the bot sent successfully, in total or to one chat."""
        if chat_id is None:
            return self._state.total_sent
        chat = self._state.chats.get(chat_id)
        return chat.sent_count if chat else 0

    @property
    def long_polls_waiting(self) -> int:
        """getUpdates calls currently parked in a long poll."""
        return self._state.long_polls_waiting

    async def wait_for(
        self,
        predicate: Callable[[BotApiSandbox], T],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> T:
        """Wait until predicate(sandbox) is truthy, re-checked on every call and change."""
        result = await self._state.activity.wait_until(lambda: predicate(self), timeout)
        if not result:
            raise TimeoutError(
                f"sandbox condition not met within {timeout}s; calls so far: "
                f"{dict(self._state.counters)}"
            )
        return result

    def chat(self, chat_id: int) -> Chat | None:
        """Return the stored chat (messages, log) for any chat id, e.g. auto-created ones."""
        return self._state.chats.get(chat_id)

    @property
    def flood_limits(self) -> FloodLimits | None:
        """Enforced flood limits, or None (the default) for no limits."""
        return self._flood_limits

    @flood_limits.setter
    def flood_limits(self, limits: FloodLimits | None) -> None:
        self._flood_limits = limits
        # Fresh windows: changing the limits mid-test should not inherit old sends.
        self._flood_gate = FloodGate(limits) if limits is not None else None

    # -- request handling ---------------------------------------------------------------------

    async def _dispatch(
        self, token: str, method: str, params: Params
    ) -> tuple[int, dict[str, Any]]:
        state = self._state
        if token != state.token:
            error = unauthorized() if _TOKEN_SHAPE.match(token) else not_found()
            state.counters[str(error.status)] += 1
            return error.status, error.payload()
        entry = self._methods.table.get(method.lower())
        name = entry[0] if entry else method
        state.calls.append((name, params.as_dict()))
        state.counters[name] += 1
        state.activity.notify()
        chat_id = params.chat_id()
        try:
            if entry is None:
                raise not_found()
            delay = self.faults.take_delay(name)
            if delay > 0:
                await self._closed.wait_until(lambda: state.closing, delay)
                if state.closing:
                    # The server is going away mid-delay; do not act on a call nobody awaits.
                    raise ApiError(503, "Service Unavailable")
            failure = self.faults.take_failure(name, chat_id)
            if failure is not None:
                raise failure
            result = await entry[1](params)
            answer_delay = self.faults.take_answer_delay(name)
            if answer_delay > 0:
                # Done, but the answer is late: the client may give up before it comes.
                await self._closed.wait_until(lambda: state.closing, answer_delay)
        except ApiError as error:
            state.counters[str(error.status)] += 1
            self._note_failure(chat_id, name, error)
            state.activity.notify()
            return error.status, error.payload()
        state.activity.notify()
        if isinstance(result, Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    def _note_failure(self, chat_id: int | str | None, method: str, error: ApiError) -> None:
        chat = self._state.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is not None:
            chat.recent_errors.append((method, error.status, error.description))
            # Tests waiting on this chat may be waiting for exactly this failure.
            chat.signal.notify()

    def _download(self, token: str, path: str) -> tuple[bytes, str] | None:
        if token != self._state.token:
            return None
        stored = self._state.files.by_path(path)
        if stored is None:
            return None
        return stored.data, stored.mime_type or "application/octet-stream"
