"""The tip library: the shipped tips are sound, and each validation rule catches its mistake."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import pytest

from reminderbot.care.tips import choose_tip
from reminderbot.content import check_catalog
from reminderbot.content.problems import Problem
from reminderbot.content.programs import ContentDataError
from reminderbot.content.tips import (
    CORE_MINIMUM,
    OTHER_MINIMUM,
    TEXT_LIMIT,
    TipLibrary,
    TipText,
    check_tips,
    load_tips,
)

SHIPPED_TOPICS = (
    "protein",
    "water_exercise",
    "fall_prevention",
    "calcium_bone_drugs",
    "pain_management",
    "opioid_side_effects",
    "jaw_dental_care",
    "when_to_call",
)
CORE = ("protein", "water_exercise", "fall_prevention")
# Before every shipped review_by date, so the shipped-library test does not expire.
BEFORE_REVIEW = date(2026, 1, 1)


def where(problem: Problem) -> tuple[str, str, int | None, str | None]:
    """Return what a problem points at: severity, file, line and tip id."""
    return (problem.severity, problem.file, problem.line, problem.key)


def only(problems: list[Problem]) -> Problem:
    """Return the single problem found, failing with the whole list otherwise."""
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]


# --- the shipped library ------------------------------------------------------------------------


def test_shipped_library_has_no_problems() -> None:
    assert [str(p) for p in check_tips(today=BEFORE_REVIEW, strict_review=True)] == []
    assert [p for p in check_tips() if p.severity == "error"] == []


def test_shipped_library_loads_with_topics_in_rotation_order() -> None:
    library = load_tips()
    assert library.topics == SHIPPED_TOPICS
    assert library.core_topics == frozenset(CORE)
    topics_in_order = list(dict.fromkeys(tip.topic for tip in library.tips("en")))
    assert topics_in_order == list(SHIPPED_TOPICS)


def test_shipped_library_meets_the_counts_and_limits() -> None:
    tips = load_tips().tips("en")
    counts = Counter(tip.topic for tip in tips)
    for topic in SHIPPED_TOPICS:
        assert counts[topic] >= (CORE_MINIMUM if topic in CORE else OTHER_MINIMUM), topic
    assert len({tip.id for tip in tips}) == len(tips)
    for tip in tips:
        assert 0 < len(tip.text) <= TEXT_LIMIT, tip.id
        assert tip.source.startswith("["), tip.id
        assert tip.review_by == date(2027, 11, 30), tip.id


def test_shipped_tips_tagged_for_a_treatment_are_only_for_patients_on_it() -> None:
    tips = {tip.id: tip for tip in load_tips().tips("en")}
    assert tips["opioids_no_bowel_movement"].tags == {"on_opioids"}
    assert tips["calcium_denosumab_supplements"].tags == {"on_denosumab"}
    assert tips["calcium_zoledronic_acid_supplements"].tags == {"on_zoledronic_acid"}
    assert tips["call_fever_on_chemotherapy"].tags == {"on_chemotherapy"}
    assert all(tip.tags <= {"on_opioids"} for tip in tips.values() if "opioid" in tip.topic)


def test_every_shipped_tip_reaches_a_patient_it_is_for() -> None:
    library = load_tips()
    entries = library.rotation_entries()
    everyone = frozenset().union(*(tags for _, _, tags in entries))
    seen: set[str] = set()
    state = None
    for _ in range(len(entries) * 2):
        choice, state = choose_tip(entries, library.topics, state, everyone)
        assert choice is not None
        seen.add(choice.tip_id)
    assert seen == {tip_id for tip_id, _, _ in entries}


def test_catalog_check_ignores_the_shipped_tips_folder() -> None:
    assert [p for p in check_catalog() if "tips" in p.file] == []


# --- a small library in tmp_path ----------------------------------------------------------------

TOPICS_YAML = "- {id: meals, core: true}\n- {id: stairs, core: false}\n"
MEALS = "en/tips/meals.yaml"
STAIRS = "en/tips/stairs.yaml"
TOPICS = "tip_topics.yaml"


def tips_yaml(topic: str, count: int, prefix: str | None = None) -> str:
    """Return `count` valid tips of `topic`, each 5 lines long (tip n starts on line 5n+1)."""
    prefix = prefix or topic
    return "".join(
        f"- id: {prefix}_{n}\n"
        f"  topic: {topic}\n"
        f"  text: Tip {n} about {topic}.\n"
        f'  source: "[{n % 34 + 1}]"\n'
        f"  review_by: 2030-01-01\n"
        for n in range(count)
    )


BASE: dict[str, str] = {
    "locales.yaml": "en: {name: English}\n",
    TOPICS: TOPICS_YAML,
    MEALS: tips_yaml("meals", CORE_MINIMUM),
    STAIRS: tips_yaml("stairs", OTHER_MINIMUM),
}

ONE_TIP = (
    "- id: stairs_x\n"  # line 1
    "  topic: stairs\n"  # line 2
    "  tags: []\n"  # line 3
    "  text: Hold the rail.\n"  # line 4
    '  source: "[29]"\n'  # line 5
    "  review_by: 2030-01-01\n"  # line 6
)

WriteTips = Callable[..., Path]


@pytest.fixture
def write_tips(tmp_path: Path) -> WriteTips:
    """Return a function writing BASE with some files replaced (or None: removed)."""

    def write(overrides: Mapping[str, str | None] | None = None) -> Path:
        files = dict(BASE)
        for relative, content in (overrides or {}).items():
            if content is None:
                files.pop(relative, None)
            else:
                files[relative] = content
        root = tmp_path / "messages"
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        return root

    return write


def with_tip(**changes: str | None) -> str:
    """Return stairs.yaml: ONE_TIP with fields changed (None removes one), then 6 valid tips."""
    lines = ONE_TIP.splitlines(keepends=True)
    out: list[str] = []
    for line in lines:
        name = line.strip("- ").split(":", 1)[0]
        if name in changes:
            value = changes.pop(name)
            if value is None:
                continue
            line = line.split(":", 1)[0] + f": {value}\n"
        out.append(line)
    out.extend(f"  {name}: {value}\n" for name, value in changes.items())
    return "".join(out) + tips_yaml("stairs", OTHER_MINIMUM)


def test_valid_small_library_has_no_problems(write_tips: WriteTips) -> None:
    root = write_tips({STAIRS: with_tip()})
    assert check_tips(root) == []
    library = load_tips(root)
    assert library.topics == ("meals", "stairs")
    first_stairs = library.get("en", "stairs_x")
    assert first_stairs == TipText(
        "stairs_x", "stairs", frozenset(), "Hold the rail.", "[29]", date(2030, 1, 1)
    )
    assert [tip.id for tip in library.tips("en")][CORE_MINIMUM : CORE_MINIMUM + 2] == [
        "stairs_x",
        "stairs_0",
    ]


@pytest.mark.parametrize(
    ("changes", "line", "fragment"),
    [
        ({"id": "Stairs-X"}, 1, "id must use only a-z, 0-9 and _"),
        ({"topic": "meals"}, 2, "does not match the file stairs.yaml"),
        ({"topic": "cooking"}, 2, "'cooking' is not in tip_topics.yaml"),
        ({"topic": "[stairs]"}, 2, "topic must be a topic id"),
        ({"tags": "on_opioids"}, 3, "tags must be a list"),
        ({"tags": "[On Opioids]"}, 3, "tag 'On Opioids' must use only a-z"),
        ({"text": '""'}, 4, "text is empty"),
        ({"text": "x" * (TEXT_LIMIT + 1)}, 4, f"text is {TEXT_LIMIT + 1} characters"),
        ({"text": "42"}, 4, "text must be text, got the number 42"),
        ({"source": "[29]"}, 5, 'source must be in quotes, like "[23]"'),
        ({"source": '"29"'}, 5, "source must be numbered references"),
        ({"source": '"[29; 30]"'}, 5, "source must be numbered references"),
        ({"source": '"[0]"'}, 5, "source 0 is not in the reference list (1 to 34)"),
        ({"source": '"[29, 35]"'}, 5, "source 35 is not in the reference list"),
        ({"review_by": "soon"}, 6, "review_by must be a date like 2027-11-30"),
        ({"review_by": '"2030-02-30"'}, 6, "review_by must be a date"),
        ({"review_by": "2030-01-01 10:00:00"}, 6, "review_by must be a date"),
        ({"source": None}, 1, "missing field 'source'"),
        ({"text": None}, 1, "missing field 'text'"),
        ({"topic": None}, 1, "missing field 'topic'"),
        ({"review_by": None}, 1, "missing field 'review_by'"),
        ({"sorce": '"[29]"'}, 7, "unknown field 'sorce'; a tip has id, topic, text, source"),
    ],
)
def test_each_broken_field_is_one_error_at_its_line(
    write_tips: WriteTips, changes: dict[str, str | None], line: int, fragment: str
) -> None:
    root = write_tips({STAIRS: with_tip(**changes)})
    problem = only(check_tips(root))
    key = None if "id" in changes else "stairs_x"
    assert where(problem) == ("error", STAIRS, line, key)
    assert fragment in problem.message
    with pytest.raises(ContentDataError) as raised:
        load_tips(root)
    assert (raised.value.file, raised.value.line) == (STAIRS, line)
    assert fragment in raised.value.message


def test_unknown_field_suggests_the_right_name(write_tips: WriteTips) -> None:
    root = write_tips({STAIRS: with_tip(source=None, sorce='"[29]"')})
    messages = [p.message for p in check_tips(root)]
    assert any("did you mean source?" in m for m in messages), messages


def test_text_of_exactly_the_limit_is_fine(write_tips: WriteTips) -> None:
    assert check_tips(write_tips({STAIRS: with_tip(text="x" * TEXT_LIMIT)})) == []


def test_source_may_list_several_references(write_tips: WriteTips) -> None:
    root = write_tips({STAIRS: with_tip(source='"[1, 29,34]"')})
    assert check_tips(root) == []
    assert load_tips(root).get("en", "stairs_x").source == "[1, 29,34]"


def test_tags_are_read_as_a_set(write_tips: WriteTips) -> None:
    root = write_tips({STAIRS: with_tip(tags="[on_opioids, on_denosumab]")})
    assert load_tips(root).get("en", "stairs_x").tags == {"on_opioids", "on_denosumab"}


def test_review_date_in_the_past_is_a_warning_or_with_strict_review_an_error(
    write_tips: WriteTips,
) -> None:
    root = write_tips({STAIRS: with_tip(review_by="2026-05-31")})
    assert check_tips(root, today=date(2026, 5, 31)) == []
    problem = only(check_tips(root, today=date(2026, 6, 1)))
    assert where(problem) == ("warning", STAIRS, 6, "stairs_x")
    assert "review_by 2026-05-31 has passed" in problem.message
    strict = only(check_tips(root, today=date(2026, 6, 1), strict_review=True))
    assert where(strict) == ("error", STAIRS, 6, "stairs_x")
    # A tip overdue for review still goes out: stopping all tips would help no one.
    assert load_tips(root).get("en", "stairs_x").review_by == date(2026, 5, 31)


def test_duplicate_id_across_topics_names_both_places(write_tips: WriteTips) -> None:
    root = write_tips({STAIRS: with_tip(id="meals_3")})
    problem = only(check_tips(root))
    assert where(problem) == ("error", STAIRS, 1, "meals_3")
    assert "duplicate id (first in messages/en/tips/meals.yaml:16)" in problem.message


def test_duplicate_key_in_a_tip_names_the_tip(write_tips: WriteTips) -> None:
    root = write_tips({STAIRS: ONE_TIP + "  text: Again.\n" + tips_yaml("stairs", 6)})
    problem = only(check_tips(root))
    assert where(problem) == ("error", STAIRS, 7, "stairs_x")
    assert "duplicate key 'text'" in problem.message


def test_yaml_syntax_error(write_tips: WriteTips) -> None:
    root = write_tips({STAIRS: tips_yaml("stairs", 6) + "- id: [broken\n"})
    problem = only(check_tips(root))
    assert where(problem)[:3] == ("error", STAIRS, 32)
    assert problem.message.startswith("YAML syntax error")


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("id: stairs_1\ntopic: stairs\n", 1, "expected a list of tips (- id: ...), got a mapping"),
        ("", None, "file is empty; expected a list of tips"),
    ],
)
def test_a_tip_file_that_is_not_a_list(
    write_tips: WriteTips, content: str, line: int | None, fragment: str
) -> None:
    problem = only(check_tips(write_tips({STAIRS: content})))
    assert where(problem) == ("error", STAIRS, line, None)
    assert problem.message == fragment


def test_a_tip_that_is_not_a_mapping(write_tips: WriteTips) -> None:
    root = write_tips({STAIRS: "- Hold the rail.\n" + tips_yaml("stairs", 6)})
    problem = only(check_tips(root))
    assert where(problem) == ("error", STAIRS, 1, None)
    assert "each tip is a mapping" in problem.message


def test_a_tip_without_an_id(write_tips: WriteTips) -> None:
    no_id = ONE_TIP.replace("- id: stairs_x\n  topic", "- topic") + tips_yaml("stairs", 6)
    problem = only(check_tips(write_tips({STAIRS: no_id})))
    assert where(problem) == ("error", STAIRS, 1, None)
    assert problem.message == "missing field 'id'"


def test_a_file_for_a_topic_not_in_tip_topics(write_tips: WriteTips) -> None:
    root = write_tips({"en/tips/staris.yaml": tips_yaml("staris", 2)})
    problem = only(check_tips(root))
    assert where(problem) == ("error", "en/tips/staris.yaml", None, None)
    assert "'staris' is not a topic in tip_topics.yaml" in problem.message
    assert "did you mean stairs?" in problem.message


def test_a_topic_without_tips_is_an_error(write_tips: WriteTips) -> None:
    problem = only(check_tips(write_tips({STAIRS: None})))
    assert where(problem) == ("error", TOPICS, 2, "stairs")
    assert "topic has no tips" in problem.message
    with pytest.raises(ContentDataError, match="stairs: topic has no tips"):
        load_tips(write_tips({STAIRS: None}))


def test_no_tips_folder_at_all(write_tips: WriteTips) -> None:
    problem = only(check_tips(write_tips({MEALS: None, STAIRS: None})))
    assert where(problem) == ("error", "en/tips/", None, None)


@pytest.mark.parametrize(
    ("file", "topic", "count", "minimum"),
    [(MEALS, "meals", CORE_MINIMUM - 1, CORE_MINIMUM), (STAIRS, "stairs", 5, OTHER_MINIMUM)],
)
def test_too_few_tips_is_a_warning(
    write_tips: WriteTips, file: str, topic: str, count: int, minimum: int
) -> None:
    root = write_tips({file: tips_yaml(topic, count)})
    problem = only(check_tips(root))
    assert where(problem) == ("warning", file, None, None)
    assert f"only {count} tips" in problem.message
    assert f"at least {minimum}" in problem.message
    assert len(load_tips(root).tips("en")) == count + (
        OTHER_MINIMUM if topic == "meals" else CORE_MINIMUM
    )


def test_files_that_are_not_topic_files_are_ignored_with_a_warning(
    write_tips: WriteTips,
) -> None:
    root = write_tips({"en/tips/notes.txt": "draft", "en/tips/.meals.yaml.swp": "x"})
    problem = only(check_tips(root))
    assert where(problem) == ("warning", "en/tips/notes.txt", None, None)


# --- tip_topics.yaml ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topics", "line", "key", "fragment"),
    [
        (TOPICS_YAML + "- {id: meals}\n", 3, "meals", "topic listed twice (first on line 1)"),
        (
            "- {id: stairs}\n- {id: meals, core: true}\n",
            2,
            "meals",
            "core topics must come before the other topics",
        ),
        (TOPICS_YAML + "- {id: x, title: X}\n", 3, "x", "unknown field 'title'"),
        (TOPICS_YAML + "- {id: Bad Name}\n", 3, None, "topic id must use only a-z"),
        (TOPICS_YAML + "- {id: x, core: maybe}\n", 3, "x", "core must be true or false"),
        (TOPICS_YAML + "- x\n", 3, None, "expected a mapping like {id: protein, core: true}"),
        ("meals: {core: true}\n", 1, None, "expected an ordered list of topics"),
    ],
)
def test_tip_topics_problems(
    write_tips: WriteTips, topics: str, line: int, key: str | None, fragment: str
) -> None:
    problems = [p for p in check_tips(write_tips({TOPICS: topics})) if p.file == TOPICS]
    problem = only(problems)
    assert where(problem) == ("error", TOPICS, line, key)
    assert fragment in problem.message


def test_missing_tip_topics_file(write_tips: WriteTips) -> None:
    problem = only(check_tips(write_tips({TOPICS: None})))
    assert where(problem) == ("error", TOPICS, None, None)
    assert "file not found" in problem.message


# --- other locales ------------------------------------------------------------------------------

TWO_LOCALES = "en: {name: English}\nzh-Hans: {name: 简体中文}\n"
ZH_MEALS = "zh-Hans/tips/meals.yaml"
ZH_STAIRS = "zh-Hans/tips/stairs.yaml"


def test_a_complete_translation_is_used_and_the_rest_falls_back(write_tips: WriteTips) -> None:
    root = write_tips(
        {
            "locales.yaml": TWO_LOCALES,
            ZH_MEALS: tips_yaml("meals", CORE_MINIMUM).replace("Tip", "提示"),
            ZH_STAIRS: tips_yaml("stairs", OTHER_MINIMUM).replace("Tip", "提示"),
        }
    )
    assert check_tips(root) == []
    library = load_tips(root)
    assert library.get("zh-Hans", "meals_0").text == "提示 0 about meals."
    assert library.tips("zh-Hans")[0].text == "提示 0 about meals."
    assert library.tips("fr")[0].text == "Tip 0 about meals."
    assert library.get("fr", "meals_0").text == "Tip 0 about meals."


def test_missing_translation_names_the_file_and_tip(write_tips: WriteTips) -> None:
    root = write_tips(
        {
            "locales.yaml": TWO_LOCALES,
            ZH_MEALS: tips_yaml("meals", CORE_MINIMUM),
            ZH_STAIRS: tips_yaml("stairs", OTHER_MINIMUM - 1),
        }
    )
    problem = only(check_tips(root))
    assert where(problem) == ("error", ZH_STAIRS, None, "stairs_5")
    assert "translate the tip at messages/en/tips/stairs.yaml:26" in problem.message


def test_translation_with_other_tags_topic_or_an_unknown_id(write_tips: WriteTips) -> None:
    tagged = "  topic: stairs\n  tags: [on_opioids]\n"
    zh_stairs = tips_yaml("stairs", OTHER_MINIMUM - 1).replace(
        "  topic: stairs\n", tagged, 1
    ) + tips_yaml("stairs", 1, prefix="extra")
    # stairs_5 translated into meals.yaml, as a meals tip.
    moved = tips_yaml("meals", 6, prefix="stairs").split("- id: ")[-1]
    zh_meals = tips_yaml("meals", CORE_MINIMUM) + "- id: " + moved
    root = write_tips({"locales.yaml": TWO_LOCALES, ZH_MEALS: zh_meals, ZH_STAIRS: zh_stairs})
    found = {where(p): p.message for p in check_tips(root)}
    assert "tags ['on_opioids'] differ from en []" in found[("error", ZH_STAIRS, 1, "stairs_0")]
    assert found[("error", ZH_STAIRS, 27, "extra_0")] == "no tip with this id in en"
    assert "topic meals differs from en stairs" in found[("error", ZH_MEALS, 61, "stairs_5")]
    assert len(found) == 3, found


def test_a_locale_without_tips_falls_back_to_en_with_a_warning(write_tips: WriteTips) -> None:
    root = write_tips({"locales.yaml": TWO_LOCALES})
    problem = only(check_tips(root))
    assert where(problem) == ("warning", "zh-Hans/tips/", None, None)
    library = load_tips(root)
    assert library.tips("zh-Hans") == library.tips("en")


def test_library_get_raises_for_an_unknown_id() -> None:
    library = TipLibrary(["a"], {"en": []})
    with pytest.raises(KeyError):
        library.get("en", "nope")


# --- the catalog loader leaves tips/ to this loader ---------------------------------------------


def test_catalog_check_skips_a_tips_folder_but_still_warns_about_others(
    write_catalog: Callable[..., Path],
) -> None:
    root = write_catalog({"en/tips/meals.yaml": "- not: [a, catalog, file\n"})
    assert check_catalog(root) == []
    root = write_catalog({"en/drafts/meals.yaml": "x: y\n"})
    problem = only(check_catalog(root))
    assert (problem.severity, problem.file) == ("warning", "en/drafts")
