"""The questions and summaries of onboarding and settings, built as Replies from catalog texts.

The callback data of their buttons is declared here too: the taps come back to
`services.subscription_answers`, which routes them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from reminderbot.care.wall_time import format_time
from reminderbot.content.describe import describe_schedules
from reminderbot.delivery import buttons
from reminderbot.runtime import Runtime
from reminderbot.services.replies import Reply, keyboard
from reminderbot.services.subscriptions import slot_times
from reminderbot.store.models import Person

# Callback data. Telegram echoes it back on a tap; it only ever says what was tapped, never
# who may do it — every handler looks the tapping user up afresh.
# Button codes live in the registry (delivery/buttons); named here for the prompts below.
CONSENT_YES = buttons.CONSENT_YES
CONSENT_NO = buttons.CONSENT_NO
LANGUAGE_PREFIX = buttons.LANGUAGE_PREFIX
TIMEZONE_PREFIX = buttons.TIMEZONE_PREFIX
TIMES_KEEP = buttons.TIMES_KEEP
TIMES_CHANGE = buttons.TIMES_CHANGE
SET_TIMEZONE = buttons.SET_TIMEZONE
SET_TIMES = buttons.SET_TIMES
SET_QUIET = buttons.SET_QUIET
SET_LANGUAGE = buttons.SET_LANGUAGE
SET_PAUSE = buttons.SET_PAUSE
SET_RESUME = buttons.SET_RESUME
QUIET_OFF = buttons.QUIET_OFF


def welcome(rt: Runtime, locale: str, name: str) -> Reply:
    """The introduction with the consent buttons."""
    return Reply(
        rt.text(locale, "onboarding.welcome", name=name),
        keyboard(
            [(rt.text(locale, "onboarding.consent.agree_button"), CONSENT_YES)],
            [(rt.text(locale, "onboarding.consent.decline_button"), CONSENT_NO)],
        ),
    )


PRESELECTED_MARK = "✓ "


def ask_language(rt: Runtime, locale: str) -> Reply:
    """Ask which language to use: the preselected one (from Telegram) first and ticked."""
    names = rt.catalog.locale_names
    codes = [locale, *(code for code in rt.catalog.locales if code != locale)]
    return Reply(
        rt.text(locale, "onboarding.language.ask"),
        keyboard(
            *[
                [
                    (
                        (PRESELECTED_MARK if code == locale else "") + names[code],
                        LANGUAGE_PREFIX + code,
                    )
                ]
                for code in codes
                if code in names
            ]
        ),
    )


def ask_timezone(rt: Runtime, person: Person) -> Reply:
    """Ask for the time zone, offering the deployment default and a short list as buttons."""
    zones = [rt.settings.default_timezone, *rt.suggested_timezones]
    if person.timezone not in zones:
        zones.insert(0, person.timezone)
    unique = list(dict.fromkeys(zones))
    rows = [
        [(zone, TIMEZONE_PREFIX + zone) for zone in unique[i : i + 2]]
        for i in range(0, len(unique), 2)
    ]
    return Reply(rt.text(person.language, "onboarding.timezone.ask"), keyboard(*rows))


def local_now(rt: Runtime, person: Person, now: datetime) -> str:
    """Render the person's current local time, as a check that the zone is right."""
    return format_time(now.astimezone(ZoneInfo(person.timezone)).time())


def ask_times(rt: Runtime, person: Person) -> Reply:
    """Offer the preferred times, with one tap to keep them."""
    slots = slot_times(person, rt.default_program)
    locale = person.language
    return Reply(
        rt.text(
            locale,
            "onboarding.times.ask",
            checkin_time=format_time(slots["checkin"]),
            morning_time=format_time(slots["morning"]),
        ),
        keyboard(
            [(rt.text(locale, "onboarding.times.keep_button"), TIMES_KEEP)],
            [(rt.text(locale, "onboarding.times.change_button"), TIMES_CHANGE)],
        ),
    )


def schedule_text(rt: Runtime, person: Person) -> str:
    """Describe the patient's schedule in their language and time zone."""
    assert person.patient is not None
    return describe_schedules(
        rt.catalog, person.language, person.timezone, person.patient.schedules
    )


def schedule_summary(rt: Runtime, person: Person, key: str) -> Reply:
    """A summary message (`onboarding.summary.*`) that shows the schedule."""
    return Reply(
        rt.text(
            person.language,
            key,
            name=person.display_name or "",
            timezone=person.timezone,
            schedule=schedule_text(rt, person),
        )
    )


def settings_overview(rt: Runtime, person: Person) -> Reply:
    """The /settings menu: current values and a button for each thing that can change."""
    assert person.patient is not None
    locale = person.language
    patient = person.patient
    slots = slot_times(person, rt.default_program)
    if patient.quiet_start is not None and patient.quiet_end is not None:
        quiet = rt.text(
            locale,
            "settings.quiet_range",
            start=format_time(patient.quiet_start),
            end=format_time(patient.quiet_end),
        )
    else:
        quiet = rt.text(locale, "settings.quiet_none")
    text = rt.text(
        locale,
        "settings.overview",
        timezone=person.timezone,
        checkin_time=format_time(slots["checkin"]),
        morning_time=format_time(slots["morning"]),
        quiet_hours=quiet,
        language=rt.catalog.locale_names.get(locale, locale),
        status=rt.text(locale, f"settings.status.{patient.status.value}"),
    )
    rows = [
        [
            (rt.text(locale, "settings.timezone_button"), SET_TIMEZONE),
            (rt.text(locale, "settings.times_button"), SET_TIMES),
        ],
        [(rt.text(locale, "settings.quiet_button"), SET_QUIET)],
    ]
    if len(rt.catalog.locales) > 1:
        rows[1].append((rt.text(locale, "settings.language_button"), SET_LANGUAGE))
    if patient.status.value == "paused":
        rows.append([(rt.text(locale, "settings.resume_button"), SET_RESUME)])
    else:
        rows.append([(rt.text(locale, "settings.pause_button"), SET_PAUSE)])
    return Reply(text, keyboard(*rows))


def ask_quiet_hours(rt: Runtime, locale: str) -> Reply:
    """Ask for a quiet-hours range, with a button to have none."""
    return Reply(
        rt.text(locale, "settings.quiet.ask"),
        keyboard([(rt.text(locale, "settings.quiet.off_button"), QUIET_OFF)]),
    )
