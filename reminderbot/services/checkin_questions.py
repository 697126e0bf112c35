"""The questions of a pain check-in, as replies with their buttons."""

from __future__ import annotations

from datetime import datetime

from reminderbot.delivery import buttons, callbacks, outbox_keys, payloads
from reminderbot.runtime import Runtime
from reminderbot.services.replies import Reply, keyboard
from reminderbot.store.models import CheckIn, Person

STEP = buttons.CHECKIN_STEP
SCALE_STEPS = ("worst", "sleep", "walking")


def pain_prompt(rt: Runtime, person: Person, now: datetime, message_id: int) -> Reply:
    """The 'How is your pain right now?' question with its eleven buttons (for /pain)."""
    # The command's message id makes each /pain its own prompt, even within a second.
    # An on-demand prompt is keyed by its patient, not by an outbox row.
    key = outbox_keys.pain_prompt(person.id, now, message_id)
    return prompt_reply(rt, person, key)


def prompt_reply(rt: Runtime, person: Person, key: str) -> Reply:
    """The check-in prompt for `key` as a reply, without the snooze row."""
    body = payloads.checkin_payload(rt.catalog, person.language, key, **rt.renderer.contacts)
    # No snooze here: the patient asked for this check-in a moment ago.
    rows = tuple(tuple((label, data) for label, data in row) for row in body["buttons"][:2])
    return Reply(body["text"], rows)


def _scale(rt: Runtime, locale: str, checkin_id: int, step: str, key: str) -> Reply:
    buttons = [(str(n), callbacks.build(STEP, str(checkin_id), f"{step}:{n}")) for n in range(11)]
    return Reply(rt.text(locale, key), keyboard(buttons[:6], buttons[6:]))


def _yes_no(
    rt: Runtime, locale: str, checkin_id: int, step: str, key: str, extra: bool = False
) -> Reply:
    row = [
        (
            rt.text(locale, "checkin.yes_button"),
            callbacks.build(STEP, str(checkin_id), f"{step}:yes"),
        ),
        (
            rt.text(locale, "checkin.no_button"),
            callbacks.build(STEP, str(checkin_id), f"{step}:no"),
        ),
    ]
    rows = [row]
    if extra:
        rows.append(
            [
                (
                    rt.text(locale, "checkin.not_taken_button"),
                    callbacks.build(STEP, str(checkin_id), f"{step}:na"),
                )
            ]
        )
    return Reply(rt.text(locale, key), keyboard(*rows))


def question(rt: Runtime, locale: str, checkin: CheckIn) -> Reply:
    """The question for the check-in's current step."""
    step = checkin.answers["step"]
    if step in SCALE_STEPS:
        return _scale(rt, locale, checkin.id, step, f"checkin.ask_{step}")
    if step == "rescue":
        return _yes_no(rt, locale, checkin.id, "rescue", "checkin.ask_rescue", extra=True)
    if step.startswith("flag:"):
        flag = step.removeprefix("flag:")
        return _yes_no(rt, locale, checkin.id, step, f"checkin.red_flag.{flag}")
    skip = callbacks.build(STEP, str(checkin.id), "note:skip")
    return Reply(
        rt.text(locale, "checkin.ask_note"),
        keyboard([(rt.text(locale, "checkin.skip_button"), skip)]),
    )
