"""A local Telegram Bot API emulator for end-to-end tests, demos and benchmarks."""

from .clock import ManualClock
from .driver import SimulatedUser
from .emulator import BotApiSandbox
from .errors import ApiError
from .faults import Faults, FloodLimits
from .params import UploadedFile
from .state import CallbackAnswer, Chat, ChatEvent, SentMessage

__all__ = [
    "ApiError",
    "BotApiSandbox",
    "CallbackAnswer",
    "Chat",
    "ChatEvent",
    "Faults",
    "FloodLimits",
    "ManualClock",
    "SentMessage",
    "SimulatedUser",
    "UploadedFile",
]
