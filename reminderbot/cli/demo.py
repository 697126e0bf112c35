"""`reminderbot demo`: the real bot against the built-in emulator, with a scripted patient
and a care coordinator."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reminderbot.bootstrap import open_runtime
from reminderbot.care.escalation import screen_for
from reminderbot.cli.jobs import Delivery
from reminderbot.config import Settings, SettingsError
from reminderbot.content import Catalog
from reminderbot.delivery.http_sender import HttpSender
from reminderbot.delivery.pacing import Limits
from reminderbot.runtime import Runtime
from reminderbot.sandbox import BotApiSandbox
from reminderbot.sandbox.driver import SimulatedUser
from reminderbot.services.subscription_prompts import PRESELECTED_MARK
from reminderbot.telegram.app import build_application, polling

DEMO_TOKEN = "424242:DEMO-not-a-real-token-000000000"
DEMO_USER_ID = 7001
DEMO_COORDINATOR_ID = 7002
STEP_TIMEOUT_S = 15.0
PATIENT, COORDINATOR = "patient", "coordinator"


@dataclass(frozen=True)
class Step:
    """One thing a scripted person does, and the reply that shows the bot has answered."""

    action: str  # "send", "tap" or "deliver" (run the dispatcher once)
    value: str
    expect_key: str
    expect_values: tuple[tuple[str, str], ...] = ()
    actor: str = PATIENT
    heading: str = ""


# The scripted patient's first name, per locale, so the transcript reads naturally.
DEMO_NAMES = {"zh-Hans": "王芳"}


def script(rt: Runtime, locale: str, name: str) -> list[Step]:
    """Onboarding with one mistyped time zone, a setting, a calm check-in and an emergency."""
    t = rt.text
    yes, no = t(locale, "checkin.yes_button"), t(locale, "checkin.no_button")
    # The screen asks emergency signs first; the demo answers Yes to the very first one.
    first_flag = screen_for(frozenset(), rt.escalation)[0].id
    agree = t(locale, "onboarding.consent.agree_button")
    if len(rt.catalog.locales) > 1:
        # Telegram's language_code preselects the patient's language; the demo keeps it.
        language_name = PRESELECTED_MARK + rt.catalog.locale_names[locale]
        consent = [
            Step("tap", agree, "onboarding.language.ask"),
            Step("tap", language_name, "onboarding.timezone.ask"),
        ]
    else:
        consent = [Step("tap", agree, "onboarding.timezone.ask")]
    return [
        Step("send", "/start", "onboarding.welcome", (("name", name),), heading="Onboarding"),
        *consent,
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
        Step(
            "send",
            "/alerts",
            "coordinator.alerts.none",
            actor=COORDINATOR,
            heading="The coordinator opens the alert work list",
        ),
        Step("send", "/settings", "settings.overview", heading="Settings"),
        Step("tap", t(locale, "settings.quiet_button"), "settings.quiet.ask"),
        Step("send", "22:00-07:00", "settings.quiet.set"),
        Step("send", "/pain", "delivery.checkin.prompt", heading="A calm check-in: pain 3"),
        Step("tap", "3", "checkin.red_flag.new_back_pain"),
        Step("tap", no, "checkin.ask_note"),
        Step("tap", t(locale, "checkin.skip_button"), "checkin.thanks"),
        Step(
            "send", "/pain", "delivery.checkin.prompt", heading="A bad day: pain 8 and a red flag"
        ),
        Step("tap", "8", "checkin.ask_worst"),
        Step("tap", "9", "checkin.ask_sleep"),
        Step("tap", "7", "checkin.ask_walking"),
        Step("tap", "8", "checkin.ask_rescue"),
        Step("tap", no, f"checkin.red_flag.{first_flag}"),
        Step("tap", yes, "checkin.thanks"),
        Step("deliver", "", "alert.message", actor=COORDINATOR, heading="The coordinator's alert"),
        Step(
            "tap",
            t(locale, "alert.acknowledge_button"),
            "alert.acknowledged_you",
            (("patient_name", name),),
            actor=COORDINATOR,
        ),
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


def transcript_lines(user: SimulatedUser, who: str, start: int = 0) -> list[str]:
    """Render one chat's log from an index as a readable transcript."""
    lines: list[str] = []
    for event in user.log[start:]:
        if event.kind == "user_text":
            lines.append(f"\n👤 {who}: {event.text}")
        elif event.kind == "user_tap":
            lines.append(f"\n👤 {who} taps [ {event.text} ]")
        elif event.kind in ("bot_message", "bot_photo", "bot_document"):
            body = "\n".join("    " + line for line in (event.text or "").splitlines())
            lines.append(f"🤖 Bot → {who.lower()}:\n{body}")
            if event.buttons:
                lines.append(format_buttons(event.buttons))
    return lines


async def play(
    rt: Runtime,
    users: dict[str, SimulatedUser],
    delivery: Delivery,
    locale: str,
    write: Callable[[str], object],
) -> None:
    """Play the script, printing each exchange as soon as the bot has answered."""
    names = {PATIENT: "Patient", COORDINATOR: "Coordinator"}
    for step in script(rt, locale, users[PATIENT].first_name):
        if step.heading:
            write(f"\n——— {step.heading} ———")
        user = users[step.actor]
        seen = {role: len(u.log) for role, u in users.items()}
        prefix = expected_prefix(rt, locale, step)
        if step.action == "send":
            await user.send(step.value)
        elif step.action == "tap":
            await user.tap(step.value)
        else:
            await delivery.dispatcher.drain(timeout=STEP_TIMEOUT_S)

        def answered(u: SimulatedUser, seen: int = seen[step.actor], prefix: str = prefix) -> bool:
            return any(
                e.kind == "bot_message" and (e.text or "").startswith(prefix) for e in u.log[seen:]
            )

        await user.wait_for(answered, timeout=STEP_TIMEOUT_S)
        for role, other in users.items():
            lines = transcript_lines(other, names[role], seen[role])
            if lines:
                write("\n".join(lines))


async def run_demo(settings: Settings, locale: str, write: Callable[[str], object]) -> None:
    """Start the emulator and the bot on a fresh SQLite file, then play the script."""
    catalog = Catalog.load(settings.messages_dir)
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
                    "coordinator_ids": (DEMO_COORDINATOR_ID,),
                }
            )
            async with open_runtime(demo_settings) as rt:
                users = {
                    PATIENT: sandbox.user(
                        user_id=DEMO_USER_ID,
                        first_name=DEMO_NAMES.get(locale, "Ada"),
                        language_code=locale,
                    ),
                    COORDINATOR: sandbox.user(
                        user_id=DEMO_COORDINATOR_ID, first_name="Nora", language_code=locale
                    ),
                }
                write(
                    "reminderbot demo — the real bot talking to a local Telegram emulator "
                    f"({sandbox.api_root}), database {folder}/demo.sqlite3"
                )
                async with (
                    HttpSender(sandbox.api_root, DEMO_TOKEN) as sender,
                    polling(build_application(rt, DEMO_TOKEN), rt, poll_timeout=5),
                ):
                    delivery = Delivery(rt, sender, limits=Limits(private_chat_interval=0.0))
                    await play(rt, users, delivery, locale, write)
    write(
        "\nDemo finished: onboarding to the schedule summary, a setting, a calm check-in, "
        "and an emergency with the coordinator's alert and acknowledgement."
    )
