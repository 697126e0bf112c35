"""The language step appears once the catalog has a second locale, preselected from Telegram."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from reminderbot.bootstrap import open_runtime
from reminderbot.clock import FakeClock
from reminderbot.paths import messages_dir
from reminderbot.sandbox import BotApiSandbox
from reminderbot.telegram.app import build_application, polling
from tests.e2e.conftest import TOKEN, Harness, e2e_settings

MARK = "[de] "


def _catalog_with_second_locale(folder: Path) -> Path:
    """A copy of messages/ with a 'de' locale whose texts are the English ones, marked."""
    root = folder / "messages"
    shutil.copytree(messages_dir(), root)

    def mark(node: object) -> object:
        if isinstance(node, dict):
            return {k: mark(v) for k, v in node.items()}
        return MARK + str(node)

    (root / "de").mkdir()
    for source in (root / "en").glob("*.yaml"):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        (root / "de" / source.name).write_text(
            yaml.safe_dump(mark(data), allow_unicode=True), encoding="utf-8"
        )
    with (root / "locales.yaml").open("a", encoding="utf-8") as locales:
        locales.write("de: {name: Deutsch}\n")
    return root


@pytest.fixture
async def bilingual(tmp_path: Path, db_url: str, clock: FakeClock) -> AsyncIterator[Harness]:
    """The bot with a two-locale catalog."""
    settings_root = _catalog_with_second_locale(tmp_path)
    async with BotApiSandbox(token=TOKEN, bot_username="reminder_test_bot") as sandbox:
        settings = e2e_settings(sandbox.api_root, db_url).model_copy(
            update={"messages_dir": settings_root}
        )
        async with (
            open_runtime(settings, clock) as rt,
            polling(build_application(rt, TOKEN), rt, poll_timeout=5) as app,
        ):
            harness = Harness(rt=rt, sandbox=sandbox, clock=clock, app=app)
            try:
                yield harness
            finally:
                await harness.close()


async def test_language_preselected_from_telegram_and_changeable(bilingual: Harness) -> None:
    hans = bilingual.user(user_id=2002, first_name="Hans", language_code="de-AT")
    welcome = await bilingual.say(hans, "/start")
    assert welcome.text.startswith(MARK + "Hello Hans!")
    await bilingual.tap(hans, MARK + "I agree")
    ask = await bilingual.until(hans, MARK + "Which language")
    # Telegram said de-AT: Deutsch is preselected (first, ticked); every locale is offered.
    assert ask.buttons[0] == ["✓ Deutsch"]
    assert sorted(row[0] for row in ask.buttons[1:]) == sorted(
        name for code, name in bilingual.rt.catalog.locale_names.items() if code != "de"
    )

    zone_prompt = await bilingual.tap(hans, "English")
    assert zone_prompt.text == bilingual.t("onboarding.timezone.ask")
    person = await bilingual.person(hans)
    assert person is not None and person.language == "en"

    await bilingual.tap(hans, "Europe/Berlin")
    await bilingual.until(hans, "I'll ask about your pain")
    await bilingual.tap(hans, "Keep these times")
    await bilingual.say(hans, "/settings")
    await bilingual.tap(hans, "Language")
    changed = await bilingual.tap(hans, "Deutsch")
    assert changed.text == MARK + "From now on I'll write in Deutsch."
    help_reply = await bilingual.say(hans, "/help")
    assert help_reply.text.startswith(MARK)


async def test_commands_registered_per_locale(bilingual: Harness) -> None:
    expected = [None] + [c.split("-")[0] for c in bilingual.rt.catalog.locales[1:]]
    assert "de" in expected
    await bilingual.sandbox.wait_for(
        lambda s: sum(1 for m, _ in s.calls if m == "setMyCommands") == len(expected), timeout=5
    )
    calls = [p for m, p in bilingual.sandbox.calls if m == "setMyCommands"]
    assert [c.get("language_code") for c in calls] == expected


async def test_a_chinese_reader_onboards_in_chinese_typing_the_chinese_way(
    harness: Harness,
) -> None:
    wang = harness.user(user_id=3003, first_name="王芳", language_code="zh-hans")

    def zh(key: str, **values: object) -> str:
        return harness.rt.text("zh-Hans", key, **values)

    welcome = await harness.say(wang, "/start")
    assert welcome.text.startswith("王芳，您好")
    await harness.tap(wang, zh("onboarding.consent.agree_button"))
    ask = await harness.until(wang, zh("onboarding.language.ask"))
    assert ask.buttons[0] == ["✓ 简体中文"], "Telegram's language is preselected"
    zone_question = await harness.tap(wang, "✓ 简体中文")
    assert zone_question.text == zh("onboarding.timezone.ask")

    zone_set = await harness.say(wang, "上海")
    assert zone_set.text.startswith("时区已设为 Asia/Shanghai")
    await harness.until(
        wang, zh("onboarding.times.ask", checkin_time="18:00", morning_time="09:00")[:8]
    )
    await harness.tap(wang, zh("onboarding.times.change_button"))
    await harness.say(wang, "晚上7点")
    summary = await harness.say(wang, "８：３０")
    assert "19:00" in summary.text and "08:30" in summary.text
    person = await harness.person(wang)
    assert person is not None and person.language == "zh-Hans"
    assert person.timezone == "Asia/Shanghai"
