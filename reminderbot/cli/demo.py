"""`reminderbot demo`: the real bot against the built-in emulator, with a scripted patient."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reminderbot.bootstrap import open_runtime
from reminderbot.config import Settings, SettingsError
from reminderbot.content import Catalog
from reminderbot.sandbox import BotApiSandbox
from reminderbot.sandbox.driver import SimulatedUser
from reminderbot.telegram.app import build_application, polling
from reminderbot.telegram.runtime import Runtime

DEMO_TOKEN = "424242:DEMO-not-a-real-token-000000000"
DEMO_USER_ID = 7001
STEP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Step:
    """One thing the scripted patient does, and the reply that shows the bot has answered."""

    action: str  # "send" or "tap"
    value: str
    expect_key: str
    expect_values: tuple[tuple[str, str], ...] = ()


def script(rt: Runtime, locale: str, name: str) -> list[Step]:
    """The demo patient's journey: onboarding with one mistyped time zone, then settings."""
    t = rt.text
    return [
        Step("send", "/start", "onboarding.welcome", (("name", name),)),
        Step("tap", t(locale, "onboarding.consent.agree_button"), "onboarding.timezone.ask"),
        Step(
            "send",
            "Mars/Olympus Mons",
            "onboarding.timezone.unknown",
            (("typed", "Mars/Olympus Mons"),),
        ),
        Step("send", "Berlin", "onboarding.times.ask"),
        Step(
            "tap",
            t(locale, "onboarding.times.keep_button"),
            "onboarding.summary.done",
            (("name", name),),
        ),
        Step("send", "/settings", "settings.overview"),
        Step("tap", t(locale, "settings.quiet_button"), "settings.quiet.ask"),
        Step("send", "22:00-07:00", "settings.quiet.set"),
    ]


_CUT = "\x00"


def expected_prefix(rt: Runtime, locale: str, step: Step) -> str:
    """The start of the reply text that shows the bot answered this step.

    Values the script cannot know (times, dates) are cut off: the text up to the first of them
    is enough to know which message arrived.
    """
    known = dict(step.expect_values)
    placeholders = rt.catalog.placeholders(step.expect_key)
    values = {name: known.get(name, _CUT) for name in placeholders}
    return rt.text(locale, step.expect_key, **values).split(_CUT)[0]


def format_buttons(rows: Sequence[Sequence[str]]) -> str:
    """Render keyboard rows as `[ a ] [ b ]` lines."""
    return "\n".join("    " + " ".join(f"[ {label} ]" for label in row) for row in rows)


def transcript_lines(user: SimulatedUser, start: int = 0) -> list[str]:
    """Render the chat log from an index as a readable transcript."""
    lines: list[str] = []
    for event in user.log[start:]:
        if event.kind == "user_text":
            lines.append(f"\n👤 Patient: {event.text}")
        elif event.kind == "user_tap":
            lines.append(f"\n👤 Patient taps [ {event.text} ]")
        elif event.kind in ("bot_message", "bot_photo", "bot_document"):
            body = "\n".join("    " + line for line in (event.text or "").splitlines())
            lines.append(f"🤖 Bot:\n{body}")
            if event.buttons:
                lines.append(format_buttons(event.buttons))
    return lines


async def play(
    rt: Runtime, user: SimulatedUser, locale: str, write: Callable[[str], object]
) -> None:
    """Play the script, printing each exchange as soon as the bot has answered."""
    for step in script(rt, locale, user.first_name):
        seen = len(user.log)
        prefix = expected_prefix(rt, locale, step)
        if step.action == "send":
            await user.send(step.value)
        else:
            await user.tap(step.value)
        await user.wait_for(
            lambda u, seen=seen, prefix=prefix: any(
                e.kind == "bot_message" and (e.text or "").startswith(prefix) for e in u.log[seen:]
            ),
            timeout=STEP_TIMEOUT_S,
        )
        write("\n".join(transcript_lines(user, seen)))


async def run_demo(settings: Settings, locale: str, write: Callable[[str], object]) -> None:
    """Start the emulator and the bot on a fresh SQLite file, then play the scripted patient."""
    catalog = Catalog.load()
    if not catalog.has_locale(locale):
        raise SettingsError(
            f"--locale: {locale!r} is not available; choose one of {', '.join(catalog.locales)}"
        )
    with tempfile.TemporaryDirectory(prefix="reminderbot-demo-") as folder:
        async with BotApiSandbox(token=DEMO_TOKEN, bot_username="reminderbot_demo_bot") as sandbox:
            demo_settings = settings.model_copy(
                update={
                    "telegram_api_url": sandbox.api_root,
                    "database_url": f"sqlite:///{Path(folder) / 'demo.sqlite3'}",
                    "auto_migrate": True,
                }
            )
            async with open_runtime(demo_settings) as rt:
                user = sandbox.user(user_id=DEMO_USER_ID, first_name="Ada", language_code=locale)
                write(
                    "reminderbot demo — the real bot talking to a local Telegram emulator "
                    f"({sandbox.api_root}), database {folder}/demo.sqlite3\n"
                )
                async with polling(build_application(rt, DEMO_TOKEN), rt, poll_timeout=5):
                    await play(rt, user, locale, write)
    write("\nDemo finished: onboarding from /start to the schedule summary, then a setting.")
