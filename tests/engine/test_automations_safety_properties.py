"""Generated hostile automations: the check never raises, stays bounded, and lets
no sensitive service, unknown kind, event, webhook or loop through.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment

from custom_components.ha_ai.engine.automations.bounds import (
    MAX_NESTING,
    size_problem,
)
from custom_components.ha_ai.engine.automations.found import MAX_PROBLEMS
from custom_components.ha_ai.engine.automations.safety import (
    MAX_ACTIONS,
    MAX_TEMPLATES,
    SENSITIVE,
    Refusal,
    check_automation,
    is_sensitive,
)
from custom_components.ha_ai.engine.automations.templates import (
    MAX_TEMPLATE_LENGTH,
    template_problem,
)
from custom_components.ha_ai.engine.automations.walk import walk

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Every domain with a sensitive service, allowed by pattern: only naming a
# sensitive service (never done here) could admit it.
ALLOWED = (
    "light.*",
    "switch.*",
    "media_player.*",
    "scene.turn_on",
    "persistent_notification.*",
    *{f"{entry.partition('.')[0]}.*" for entry in SENSITIVE},
)
SERVICES = st.sampled_from(
    [
        "light.turn_on",
        "switch.turn_off",
        "media_player.play_media",
        "homeassistant.restart",
        "homeassistant.turn_on",
        "lock.unlock",
        "script.anything",
        "notify.notify",
        "mqtt.publish",
        "LOCK.OPEN",
        "{{ 'lock.unlock' }}",
        "not a service",
    ]
)
LOOP = re.compile(r"\{%-?\s*for\b")
FRAGMENTS = [
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    " for i in ",
    "range(",
    "3000",
    ")",
    "(",
    "endfor",
    " if ",
    "endif",
    "else",
    "states",
    "'light.a'",
    "|",
    "list",
    "float",
    " * ",
    " ** ",
    " % ",
    "9999999",
    "'x'",
    "trigger",
    ".",
    "__class__",
    "[",
    "]",
    "~",
    ",",
    "now()",
    "is_state(",
    "macro",
    "set ",
    "=",
    "x",
    " and ",
    "not ",
    "{'a': 1}",
    "lower",
    "join",
    "replace(",
    "'%s'",
    "1e300",
    "-",
    "+",
    "/",
    "//",
]
TEMPLATES = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)
TEXT = st.one_of(
    st.sampled_from(["all", "none", "light.a", "homeassistant_stop", "webhook"]),
    TEMPLATES,
    st.text(max_size=20),
)
KEYS = st.sampled_from(
    [
        "action",
        "service",
        "service_template",
        "event",
        "target",
        "entity_id",
        "device_id",
        "domain",
        "type",
        "data",
        "variables",
        "choose",
        "if",
        "then",
        "else",
        "default",
        "parallel",
        "sequence",
        "repeat",
        "count",
        "while",
        "until",
        "for_each",
        "conditions",
        "condition",
        "trigger",
        "platform",
        "wait_for_trigger",
        "wait_template",
        "delay",
        "stop",
        "scene",
        "and",
        "or",
        "not",
        "value_template",
        "webhook_id",
        "local_only",
        "event_type",
        "response_variable",
        "enabled",
        "alias",
        "set_conversation_response",
        "x",
    ]
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**15), 10**15), st.floats(), TEXT
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(KEYS, children, max_size=5),
        st.builds(lambda key, service: {key: service}, KEYS, SERVICES),
    ),
    max_leaves=40,
)
# Templates by a small grammar: many inside the subset, many just outside.
EXPRESSIONS = st.recursive(
    st.sampled_from(
        [
            "1",
            "2.5",
            "'x'",
            "x",
            "trigger.id",
            "states('light.a')",
            "is_state('light.a', 'on')",
            "now()",
            "range(3000)",
            "states",
            "trigger.__class__",
            "99999999999999",
        ]
    ),
    lambda children: st.one_of(
        st.tuples(
            children,
            st.sampled_from([" + ", " * ", " ~ ", " and ", " % ", " ** ", " // "]),
            children,
        ).map("".join),
        st.tuples(
            children,
            st.sampled_from(
                ["float(0)", "int", "lower", "length", "list", "join", "center(99)"]
            ),
        ).map(lambda pair: f"{pair[0]} | {pair[1]}"),
        children.map(lambda inner: f"({inner})"),
    ),
    max_leaves=8,
)
GRAMMAR_TEMPLATES = st.one_of(
    EXPRESSIONS.map(lambda expression: "{{ " + expression + " }}"),
    st.tuples(EXPRESSIONS, EXPRESSIONS).map(
        lambda pair: "{% if " + pair[0] + " %}{{ " + pair[1] + " }}{% endif %}"
    ),
    EXPRESSIONS.map(lambda e: "{% for i in " + e + " %}{{ i }}{% endfor %}"),
)
TRIGGERS = st.sampled_from(
    [
        {"trigger": "time", "at": "07:00:00"},
        {"trigger": "state", "entity_id": "light.a", "to": "on"},
        {"platform": "sun", "event": "sunset"},
        {"trigger": "event", "event_type": "zha_event"},
        {"trigger": "event", "event_type": "homeassistant_stop"},
        {"trigger": "webhook", "webhook_id": "x", "local_only": False},
        {"trigger": "mqtt", "topic": "x"},
        {"trigger": "tag", "tag_id": "x"},
    ]
) | GRAMMAR_TEMPLATES.map(lambda t: {"trigger": "template", "value_template": t})
LEAF_STEPS = st.one_of(
    st.sampled_from(
        [
            {"action": "light.turn_on", "target": {"entity_id": "light.a"}},
            {"action": "switch.turn_off", "entity_id": "switch.b"},
            {"scene": "scene.evening"},
            {"delay": 5},
            {"stop": "done"},
            {"device_id": "d", "domain": "light", "type": "turn_on"},
            {"device_id": "d", "domain": "cover", "type": "open"},
            {"event": "homeassistant_stop"},
            {"action": "homeassistant.turn_on"},
            {"action": "light.turn_on", "target": {"entity_id": "all"}},
            {"repeat": {"while": [], "sequence": []}},
        ]
    ),
    st.builds(
        lambda service, template: {"action": service, "data": {"message": template}},
        SERVICES,
        GRAMMAR_TEMPLATES,
    ),
    GRAMMAR_TEMPLATES.map(lambda t: {"variables": {"y": t}}),
    GRAMMAR_TEMPLATES.map(lambda t: {"condition": t}),
)
STEPS = st.recursive(
    LEAF_STEPS,
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(lambda steps: {"sequence": steps}),
        st.lists(children, max_size=3).map(lambda steps: {"if": [], "then": steps}),
        st.lists(children, max_size=3).map(
            lambda steps: {"choose": [{"conditions": [], "sequence": steps}]}
        ),
        st.lists(children, max_size=3).map(lambda steps: {"parallel": steps}),
        st.lists(children, max_size=3).map(
            lambda steps: {"repeat": {"count": 3, "sequence": steps}}
        ),
    ),
    max_leaves=12,
)
STRUCTURED = st.fixed_dictionaries(
    {
        "triggers": st.lists(TRIGGERS, min_size=1, max_size=3),
        "actions": st.lists(STEPS, min_size=1, max_size=4),
    },
    optional={
        "conditions": st.lists(GRAMMAR_TEMPLATES, max_size=2),
        "variables": st.fixed_dictionaries({"x": GRAMMAR_TEMPLATES}),
    },
)
AUTOMATIONS = STRUCTURED | st.one_of(
    st.fixed_dictionaries(
        {
            "triggers": VALUES,
            "actions": st.lists(VALUES, max_size=5),
        },
        optional={"conditions": VALUES, "variables": VALUES, "mode": VALUES},
    ),
    VALUES,
)


def check(config: Any) -> list[Refusal]:
    return check_automation(config, allowed=ALLOWED, sensitive_allowed=())


def strings_outside_free_text(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [
            text
            for key, item in value.items()
            if key not in {"alias", "description"}
            for text in strings_outside_free_text(item)
        ]
    if isinstance(value, list):
        return [text for item in value for text in strings_outside_free_text(item)]
    return []


# Under these keys the names are the user's, not the automation's structure: a
# variable called `event` is no event step.
DATA_KEYS = frozenset({"variables", "data"})


def dicts(value: Any) -> list[dict[Any, Any]]:
    """Return every mapping of the automation's structure, data left out."""
    if isinstance(value, dict):
        return [
            value,
            *(
                d
                for key, item in value.items()
                if key not in DATA_KEYS
                for d in dicts(item)
            ),
        ]
    if isinstance(value, list):
        return [d for item in value for d in dicts(item)]
    return []


@SETTINGS
@given(AUTOMATIONS)
def test_the_check_never_raises_and_stays_bounded(config: Any) -> None:
    refusals = check(config)
    assert all(isinstance(refusal, Refusal) for refusal in refusals)
    assert all(isinstance(refusal.message, str) for refusal in refusals)
    found = walk(config)
    assert found.steps <= MAX_ACTIONS + 1
    assert len(found.problems) <= MAX_PROBLEMS
    assert len(refusals) <= MAX_PROBLEMS + len(found.calls) + MAX_TEMPLATES


KNOWN_STEP_KEYS = {
    "action",
    "service",
    "scene",
    "device_id",
    "delay",
    "wait_template",
    "wait_for_trigger",
    "variables",
    "stop",
    "condition",
    "and",
    "or",
    "not",
    "choose",
    "if",
    "parallel",
    "repeat",
    "sequence",
}
KNOWN_TRIGGERS = {
    "state",
    "numeric_state",
    "time",
    "time_pattern",
    "sun",
    "zone",
    "device",
    "homeassistant",
    "event",
    "template",
}


def steps(actions: Any) -> list[dict[Any, Any]]:
    """Return every step of `actions`, nested ones included (independently)."""
    found: list[dict[Any, Any]] = []
    for step in actions if isinstance(actions, list) else [actions]:
        if not isinstance(step, dict):
            found.extend(steps(step) if isinstance(step, list) else [])
            continue
        found.append(step)
        for key in ("sequence", "then", "else", "default", "parallel"):
            found.extend(steps(step.get(key, [])))
        for option in (
            step.get("choose", []) if isinstance(step.get("choose"), list) else []
        ):
            found.extend(steps(option.get("sequence", [])))
        if isinstance(step.get("repeat"), dict):
            found.extend(steps(step["repeat"].get("sequence", [])))
    return found


@SETTINGS
@given(AUTOMATIONS)
@example({"triggers": [], "actions": [], "variables": {"event": None}})
@example({"variables": {"service_template": None}})
def test_an_admitted_automation_has_nothing_hostile(config: Any) -> None:
    if check(config):
        return
    actions = config if isinstance(config, list) else config.get("actions", [])
    for step in steps(actions):
        assert KNOWN_STEP_KEYS & step.keys(), step
    if isinstance(config, dict):
        for trigger in config.get("triggers", []):
            assert trigger.get("trigger", trigger.get("platform")) in KNOWN_TRIGGERS
    for call in walk(config).calls:
        assert call.valid
        assert not is_sensitive(call.service), call
    for node in dicts(config):
        assert "event" not in node or "trigger" in node or "platform" in node
        assert node.get("trigger", node.get("platform")) != "webhook"
        assert "service_template" not in node
        assert "while" not in node
        assert "until" not in node
    for text in strings_outside_free_text(config):
        if "{%" in text or "{{" in text:
            assert not LOOP.search(text)
            assert "range(" not in text
            assert "__" not in text


def hide(step: dict[str, Any], path: list[int]) -> list[Any]:
    """Return `step` hidden in nested blocks chosen by `path`."""
    actions: list[Any] = [step]
    for choice in path:
        block: dict[str, Any] = [
            {"choose": [{"conditions": [], "sequence": actions}]},
            {"choose": [], "default": actions},
            {"if": [], "then": [], "else": actions},
            {"parallel": [actions]},
            {"repeat": {"count": 2, "sequence": actions}},
            {"sequence": actions},
        ][choice]
        actions = [{"delay": 1}, block]
    return actions


HOSTILE_STEPS = st.sampled_from(
    [
        {"event": "homeassistant_stop"},
        {"event": "zha_event"},
        {"action": "homeassistant.restart"},
        {"action": "homeassistant.turn_on", "target": {"entity_id": "lock.front"}},
        {"action": "script.anything"},
        {"device_id": "d", "domain": "lock", "type": "unlock"},
        {"service_template": "light.turn_on"},
        {"action": "light.turn_on", "target": {"entity_id": "all"}},
        {"action": "light.turn_on", "target": {"entity_id": "{{ x }}"}},
        {
            "action": "light.turn_on",
            "data": {"x": "{% for i in range(9) %}{% endfor %}"},
        },
        {"repeat": {"while": [], "sequence": []}},
        {"wait_for_trigger": {"trigger": "webhook", "webhook_id": "x"}},
        {"condition": "template", "value_template": "{{ 'x' * 999999999 }}"},
        {"variables": {"x": "{{ states | list }}"}},
        {"mystery": 1},
        {"delay": 1, "event": "x"},
        {"set_conversation_response": "x"},
    ]
)


@SETTINGS
@given(
    HOSTILE_STEPS,
    st.lists(st.integers(0, 5), max_size=8),
    st.sampled_from([True, False]),
)
def test_a_hostile_step_is_refused_at_any_depth(
    step: dict[str, Any], path: list[int], templates: bool
) -> None:
    config = {
        "triggers": [{"trigger": "time", "at": "07:00"}],
        "actions": hide(step, path),
    }
    assert check_automation(
        config, allowed=ALLOWED, sensitive_allowed=(), templates=templates
    )


@SETTINGS
@given(TEMPLATES | GRAMMAR_TEMPLATES)
def test_template_check_never_raises_and_accepted_ones_render_small(text: str) -> None:
    problem = template_problem(text, variables=frozenset({"x"}))
    if problem is not None:
        assert isinstance(problem, str)
        return
    environment = SandboxedEnvironment()
    environment.globals.update(
        states=lambda *_, **__: "s" * 255,
        is_state=lambda *_, **__: True,
        now=lambda: 0,
        trigger={"id": "t" * 255},
        x="x" * 255,
    )
    try:
        rendered = environment.from_string(text).render()
    except Exception:  # noqa: BLE001 - only the size of what renders matters
        return
    assert len(rendered) <= 255 * MAX_TEMPLATE_LENGTH


NESTED_ANYTHING = st.recursive(
    st.one_of(
        SCALARS,
        st.sets(st.integers(), max_size=2),
        st.binary(max_size=3),
        st.dates(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=3), st.integers()), children, max_size=4
        ),
    ),
    max_leaves=60,
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    return 0


@SETTINGS
@given(NESTED_ANYTHING)
def test_what_passes_the_size_check_can_be_stored(value: Any) -> None:
    if size_problem(value) is None:
        json.dumps(value, allow_nan=False)
        assert depth(value) <= MAX_NESTING


@SETTINGS
@given(
    st.integers(MAX_NESTING + 1, 400), st.sampled_from(["variables", "data", "trace"])
)
def test_deep_nesting_anywhere_is_refused(levels: int, where: str) -> None:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value} if levels % 2 else [value]
    config: dict[str, Any] = {
        "triggers": [{"trigger": "time", "at": "07:00"}],
        "actions": [{"action": "light.turn_on", "target": {"entity_id": "light.a"}}],
    }
    if where == "data":
        config["actions"][0]["data"] = {"x": value}
    else:
        config[where] = {"x": value}
    [refusal] = check(config)
    assert "nested more than" in refusal.message
