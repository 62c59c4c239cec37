"""The strict template subset: what it reads, and every way out of it refused."""

from __future__ import annotations

import pytest

from custom_components.ha_ai.engine.automations.templates import (
    MAX_LITERAL_ITEMS,
    MAX_TEMPLATE_LENGTH,
    MAX_TEMPLATE_TOKENS,
    count_tokens,
    is_template,
    template_problem,
)


def problem(text: str, *variables: str) -> str | None:
    return template_problem(text, variables=frozenset(variables))


@pytest.mark.parametrize(
    "text",
    [
        "plain text {# a comment #}",
        "{{ states('sensor.temperature') }}",
        "{{ states('sensor.t', rounded=True) | float(0) * 1.8 + 32 }}",
        "{{ is_state('light.kitchen', ['on', 'off']) and not has_value('a.b') }}",
        "{{ state_attr('climate.x', 'temperature') | round(1) }}",
        "{{ is_state_attr('light.a', 'brightness', 255) }}",
        "{{ trigger.to_state.state == 'on' and trigger.to_state.attributes['x'] }}",
        "{{ trigger.to_state.attributes.brightness | int(0) // 2 % 5 }}",
        "{{ trigger.id in ('a', 'b') }}",
        "{{ this.attributes.last_triggered is none }}",
        "{{ repeat.index > 1 or wait.trigger is defined }}",
        "{{ now().hour >= 7 and now() < today_at('22:00') }}",
        "{{ (as_timestamp(now()) - as_timestamp(utcnow())) | abs < 5 }}",
        "{{ now() - timedelta(minutes=5) > as_datetime('2026-01-01') | as_local }}",
        "{{ float(states('a.b'), 0) * -2 }}",
        "{{ max(1, 2) ~ ' ' ~ (states('a.b') | lower | trim | title) }}",
        "{{ 'yes' if is_state('a.b', 'on') else 'no' }}",
        "{% if is_state('a.b', 'on') %}on{% elif level > 2 %}2{% else %}x{% endif %}",
        "{{ trigger.to_state.state[0:3] ~ trigger.to_state.state[-1] }}",
        "{{ states('a.b') | default('x') | length }}",
        "{{ (1, 2)[0] + [3][0] }}",
        "{{ level is number and level is gt 3 }}",
        "{{ -(2 * 3) * (4 / 2) }}",
    ],
)
def test_templates_in_the_subset_pass(text: str) -> None:
    assert is_template(text)
    assert problem(text, "level") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}"
            "{% endfor %}",
            "loops ({% for %}) are not allowed",
        ),
        ("{{ range(10) }}", "the function 'range' is not allowed"),
        ("{% macro m() %}x{% endmacro %}", "macros are not allowed"),
        ("{% set x = 1 %}", "{% set %} is not allowed"),
        ("{% set x %}y{% endset %}", "{% set %} is not allowed"),
        ("{% with a = 1 %}{% endwith %}", "With is not allowed"),
        ("{% filter upper %}x{% endfilter %}", "FilterBlock is not allowed"),
        ("{% include 'x' %}", "Include is not allowed"),
        ("{% do x %}", "Jinja cannot read it"),
        ("{% break %}", "Jinja cannot read it"),
        ("{{ 'x' * 1000000000 }}", "only between numbers"),
        ("{{ trigger.id * 10 }}", "only between numbers"),
        ("{{ '%s' % trigger.id }}", "only between numbers"),
        ("{{ 9 ** 9 ** 9 }}", "'**' is not allowed"),
        ("{{ 10000000000000 }}", "a number is too large"),
        ("{{ {'entity_id': 'all'} }}", "dict literals are not allowed"),
        ("{{ states }}", "'states' may only be called"),
        ("{{ states.light }}", "'states' may only be called"),
        ("{{ states | list }}", "the filter 'list' is not allowed"),
        ("{{ states(trigger.entity_id) }}", "must name its entity id"),
        ("{{ states() }}", "must name its entity id"),
        ("{{ is_state(x, 'on') }}", "must name its entity id"),
        ("{{ expand('group.all') }}", "the function 'expand' is not allowed"),
        ("{{ area_entities('kitchen') }}", "is not allowed"),
        ("{{ trigger.__class__ }}", "the attribute '__class__' is private"),
        ("{{ trigger['__class__'] }}", "the attribute '__class__' is private"),
        ("{{ trigger[trigger.id] }}", "a key must be a name or number"),
        ("{{ trigger.id[0:trigger.x] }}", "a slice must use whole numbers"),
        ("{{ trigger.id.upper() }}", "only functions may be called"),
        ("{{ 'x'.ljust(1000000000) }}", "only functions may be called"),
        ("{{ trigger.id | replace('a', 'bbbb') }}", "the filter 'replace'"),
        ("{{ now() | timestamp_custom('%999999999Y') }}", "timestamp_custom"),
        ("{{ trigger.id | regex_replace('(a+)+$', '') }}", "regex_replace"),
        ("{{ trigger.id is match('(a+)+$') }}", "the test 'match'"),
        ("{{ now(*x) }}", "'*' and '**' arguments"),
        ("{{ trigger.id | default(*x) }}", "'*' and '**' arguments"),
        ("{{ trigger.id is eq(*x) }}", "'*' and '**' arguments"),
        ("{{ secret }}", "the name 'secret' is not known"),
        ("{{ now }}", "'now' may only be called"),
        ("{{ [" + "1," * (MAX_LITERAL_ITEMS + 1) + "] }}", "a list has more than"),
        ("{{ trigger.id", "Jinja cannot read it"),
        ("{{ " + "(" * 98 + "1" + ")" * 98 + " }}", "nested too deeply"),
        ("{{ " + "1+" * 100 + "1 }}", f"more than {MAX_TEMPLATE_TOKENS} tokens"),
        ("{{ 1 }}" + " " * MAX_TEMPLATE_LENGTH, "longer than"),
        ("{{ 2.5e300 }}", "a number is too large"),
        ("{{ 1e999 }}", "a number is too large"),
        ("{{ " + "2 * " * 25 + "2 }}", "only between numbers"),
        ("{{ 1 if true else 'x' * 99999999 }}", "only between numbers"),
    ],
)
def test_templates_outside_the_subset_are_refused(text: str, words: str) -> None:
    found = problem(text)
    assert found is not None
    assert words in found


def test_only_markers_make_a_template() -> None:
    assert not is_template("light.kitchen")
    assert not is_template("{ not one }")
    assert all(is_template(text) for text in ("{{", "{%", "{#"))


def test_tokens_are_counted_to_the_limit_only() -> None:
    assert count_tokens("{{ states('a.b') }} and some text", limit=99) == 7
    assert count_tokens("{{ " + "1+" * 400 + "1 }}", limit=10) == 11
    assert count_tokens("{{ 'unclosed }}", limit=99) == 1  # the lexer stops there
