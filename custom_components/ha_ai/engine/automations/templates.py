"""The strict subset of Jinja templates an automation from HA AI may contain.

A template runs on Home Assistant's event loop each time its automation does: a
loop of 3,000 by 3,000 steps in a condition blocked it for a second per run, and
one in a template trigger for 19 s. So a template is accepted only when Jinja's
own parser (`jinja2.Environment().parse`, never a regular expression) reads it
and every node of its syntax tree is on the allow list below. The subset reads
the house and computes small values; it cannot loop, define anything, call a
method, reach a private attribute, list the house, or make a big string:

- Statements: text, `{{ expression }}` and `{% if %}` / `{% elif %}` / `{% else %}`.
  No `for` (loops), `macro`, `call`, `set`, `with`, `filter` blocks, `include`,
  `import`, `extends`, `do`, `break` (the last two are not even parsed).
- Names: `trigger`, `this`, `repeat`, `wait` and the automation's own variables.
  Attributes and keys (`trigger.to_state.state`, `x['key']`) never begin with `_`
  (the way out of Jinja's sandbox); keys are constants.
- Functions, only called by name, never as methods: `states`, `is_state`,
  `state_attr`, `is_state_attr`, `has_value` (each with the entity id written
  out, so that what it reads can be seen; `states` itself cannot be iterated, so a
  template cannot list every entity), `now`, `utcnow`, `today_at`,
  `as_timestamp`, `as_datetime`, `as_local`, `timedelta`, `float`, `int`,
  `bool`, `min`, `max`.
- Filters: `float`, `int`, `round`, `abs`, `bool`, `string`, `lower`, `upper`,
  `title`, `capitalize`, `trim`, `default` (`d`), `length` (`count`), `min`,
  `max`, `as_timestamp`, `as_datetime`, `as_local`, `timestamp_local`,
  `timestamp_utc`, `is_defined`. (No `replace`, `format`, `center`,
  `timestamp_custom`, `regex_*`: they can grow a string or a format, or
  backtrack without end.)
- Tests (`is ...`): `defined`, `undefined`, `none`, `number`, `string`,
  `boolean`, `true`, `false`, `integer`, `float`, `eq`, `ne`, `lt`, `le`, `gt`,
  `ge`, `in`.
- Operators: comparisons, `and`, `or`, `not`, `in`, `~`, `+`, `-`, `/` and the
  inline `x if c else y`. `*`, `//` and `%` only between numbers (a number, or a
  value passed through `float`, `int`, `round`, `abs`, `length`): `'x' * n`
  and `'%s' % x` can build a huge string. No `**`. Lists and tuples of at most
  20 items; no dict literals (a templated dict could hide a target).
- Constants: numbers within ±10¹², strings bounded by the template's length.
- Size: at most 1,000 characters and 200 tokens per template (counted by
  Jinja's lexer before anything is parsed: parsing costs per token, and the
  tokens bound the syntax tree).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from jinja2 import Environment, nodes

MAX_TEMPLATE_LENGTH: Final = 1_000
# Jinja's parser costs about as much per token as everything else here per
# template, so tokens are counted first, by its lexer, stopping at the limit.
MAX_TEMPLATE_TOKENS: Final = 200  # which bounds the syntax tree too
MAX_LITERAL_ITEMS: Final = 20
MAX_NUMBER: Final = 10**12
_MAX_ARITHMETIC_DEPTH: Final = 20

TEMPLATE_MARKERS: Final = ("{{", "{%", "{#")

# Names a template may read besides the automation's own variables.
CONTEXT_NAMES: Final = frozenset({"trigger", "this", "repeat", "wait"})
# Functions whose first argument is the entity id they read.
ENTITY_FUNCTIONS: Final = frozenset(
    {"states", "is_state", "state_attr", "is_state_attr", "has_value"}
)
FUNCTIONS: Final = ENTITY_FUNCTIONS | frozenset(
    {
        "now",
        "utcnow",
        "today_at",
        "as_timestamp",
        "as_datetime",
        "as_local",
        "timedelta",
        "float",
        "int",
        "bool",
        "min",
        "max",
    }
)
_NUMERIC_FILTERS: Final = frozenset({"float", "int", "round", "abs", "length", "count"})
FILTERS: Final = _NUMERIC_FILTERS | frozenset(
    {
        "bool",
        "string",
        "lower",
        "upper",
        "title",
        "capitalize",
        "trim",
        "default",
        "d",
        "min",
        "max",
        "as_timestamp",
        "as_datetime",
        "as_local",
        "timestamp_local",
        "timestamp_utc",
        "is_defined",
    }
)
TESTS: Final = frozenset(
    {
        "defined",
        "undefined",
        "none",
        "number",
        "string",
        "boolean",
        "true",
        "false",
        "integer",
        "float",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "in",
    }
)
# Names HA AI gives a meaning: an automation's variable may not take one.
RESERVED_NAMES: Final = CONTEXT_NAMES | FUNCTIONS | frozenset({"states"})

# Nodes that need no check of their own beyond their children.
_PLAIN_NODES: Final = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Pos,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.Add,
    nodes.Sub,
    nodes.Div,
    nodes.Keyword,
)
_NUMBER_ONLY_NODES: Final = (nodes.Mul, nodes.FloorDiv, nodes.Mod)
_ARITHMETIC_NODES: Final = (nodes.Add, nodes.Sub, nodes.Div, *_NUMBER_ONLY_NODES)

_ENVIRONMENT: Final = Environment(autoescape=False)  # noqa: S701 (parsed, never rendered)


def is_template(text: str) -> bool:
    """Return whether Home Assistant would treat `text` as a template."""
    return any(marker in text for marker in TEMPLATE_MARKERS)


def template_problem(text: str, *, variables: frozenset[str]) -> str | None:
    """Return why `text` is outside the subset, or None when it is inside.

    `variables` are the names the automation defines (besides `trigger`, `this`,
    `repeat` and `wait`). Never raises; the work is bounded by the length limit.
    """
    if len(text) > MAX_TEMPLATE_LENGTH:
        return f"it is longer than {MAX_TEMPLATE_LENGTH} characters"
    if count_tokens(text, limit=MAX_TEMPLATE_TOKENS) > MAX_TEMPLATE_TOKENS:
        return f"it has more than {MAX_TEMPLATE_TOKENS} tokens"
    try:
        tree = _ENVIRONMENT.parse(text)
    except RecursionError:
        return "it is nested too deeply"
    except Exception as err:  # noqa: BLE001 (any parse failure is a refusal)
        return f"Jinja cannot read it ({type(err).__name__})"
    return _tree_problem(tree, CONTEXT_NAMES | variables)


def count_tokens(text: str, *, limit: int) -> int:
    """Return how many tokens Jinja's lexer finds in `text`, counting to `limit` + 1.

    Whitespace is no token; a run of plain text is one. The work stops at the
    limit. A text the lexer cannot read counts what it read (the parser then
    refuses it at the same place). Never raises.
    """
    count = 0
    try:
        for _, kind, _ in _ENVIRONMENT.lex(text):
            if kind != "whitespace":
                count += 1
                if count > limit:
                    break
    except Exception:  # noqa: BLE001, S110 (the parser says what is wrong)
        pass
    return count


def _tree_problem(tree: nodes.Node, names: frozenset[str]) -> str | None:
    stack: list[nodes.Node] = [tree]
    while stack:
        node = stack.pop()
        problem = _node_problem(node, names)
        if problem is not None:
            return problem
        stack.extend(_children(node))
    return None


def _children(node: nodes.Node) -> Iterator[nodes.Node]:
    """Yield the nodes to check under `node` (a called function's name excluded)."""
    if isinstance(node, nodes.Call):
        yield from node.args
        yield from node.kwargs
    elif isinstance(node, nodes.Filter | nodes.Test):
        # A filter's input is None only inside a {% filter %} block, refused first.
        yield from (child for child in (node.node, *node.args) if child is not None)
        yield from node.kwargs
    else:
        yield from node.iter_child_nodes()


def _node_problem(node: nodes.Node, names: frozenset[str]) -> str | None:
    if isinstance(node, _PLAIN_NODES):
        return None
    check = _CHECKS.get(type(node))
    return _statement_problem(node) if check is None else check(node, names)


def _slice_problem(node: nodes.Slice) -> str | None:
    if all(_is_small_int(part) for part in _slice_parts(node)):
        return None
    return "a slice must use whole numbers written out"


def _literal_problem(node: nodes.List | nodes.Tuple) -> str | None:
    if len(node.items) > MAX_LITERAL_ITEMS:
        return f"a list has more than {MAX_LITERAL_ITEMS} items"
    return None


def _arithmetic_problem(node: nodes.BinExpr) -> str | None:
    if _is_number(node.left, 0) and _is_number(node.right, 0):
        return None
    return "'*', '//' and '%' are allowed only between numbers"


def _statement_problem(node: nodes.Node) -> str:
    words = {
        nodes.For: "loops ({% for %}) are not allowed",
        nodes.Macro: "macros are not allowed",
        nodes.Assign: "{% set %} is not allowed",
        nodes.AssignBlock: "{% set %} is not allowed",
        nodes.Pow: "'**' is not allowed",
        nodes.Dict: "dict literals are not allowed",
    }
    return words.get(type(node), f"{type(node).__name__} is not allowed")


def _constant_problem(value: object) -> str | None:
    # The parser makes constants of text, numbers, true, false and none only.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None if abs(value) <= MAX_NUMBER else "a number is too large"
    return None


def _name_problem(node: nodes.Name, names: frozenset[str]) -> str | None:
    # Names are assigned only by {% for %}, {% set %} and {% with %}, refused first.
    if node.name in names:
        return None
    if node.name in RESERVED_NAMES:
        return f"{node.name!r} may only be called, as {node.name}(...)"
    return f"the name {node.name!r} is not known"


def _private_problem(name: str) -> str | None:
    return f"the attribute {name!r} is private" if name.startswith("_") else None


def _item_problem(key: nodes.Node) -> str | None:
    if isinstance(key, nodes.Slice):
        return None
    if isinstance(key, nodes.Const) and isinstance(key.value, str):
        return _private_problem(key.value)
    if _is_small_int(key):
        return None
    return "a key must be a name or number written out"


def _slice_parts(node: nodes.Slice) -> list[nodes.Node]:
    return [part for part in (node.start, node.stop, node.step) if part is not None]


def _is_small_int(node: nodes.Node) -> bool:
    if isinstance(node, nodes.Neg):
        node = node.node
    return (
        isinstance(node, nodes.Const)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
        and abs(node.value) <= MAX_NUMBER
    )


def _is_number(node: nodes.Node, depth: int) -> bool:
    """Return whether `node` surely gives a number (never a string to repeat)."""
    if depth > _MAX_ARITHMETIC_DEPTH:
        return False
    if isinstance(node, nodes.Const):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if isinstance(node, nodes.Neg | nodes.Pos):
        return _is_number(node.node, depth + 1)
    if isinstance(node, nodes.Filter):
        return node.name in _NUMERIC_FILTERS
    if isinstance(node, nodes.Call):
        return isinstance(node.node, nodes.Name) and node.node.name in {"float", "int"}
    if isinstance(node, _ARITHMETIC_NODES):
        return _is_number(node.left, depth + 1) and _is_number(node.right, depth + 1)
    return False


def _dynamic_arguments(node: nodes.Call | nodes.Filter | nodes.Test) -> bool:
    return node.dyn_args is not None or node.dyn_kwargs is not None


def _named_problem(
    node: nodes.Filter | nodes.Test, name: str, allowed: frozenset[str], kind: str
) -> str | None:
    if name not in allowed:
        return f"the {kind} {name!r} is not allowed"
    if _dynamic_arguments(node):
        return "'*' and '**' arguments are not allowed"
    return None


def _call_problem(node: nodes.Call) -> str | None:
    if not isinstance(node.node, nodes.Name):
        return "only functions may be called, never methods"
    name = node.node.name
    if name not in FUNCTIONS:
        return f"the function {name!r} is not allowed"
    if _dynamic_arguments(node):
        return "'*' and '**' arguments are not allowed"
    if name in ENTITY_FUNCTIONS and not (
        node.args
        and isinstance(node.args[0], nodes.Const)
        and isinstance(node.args[0].value, str)
    ):
        return f"{name}() must name its entity id as text written out"
    return None


_CHECKS: Final[
    Mapping[type[nodes.Node], Callable[[Any, frozenset[str]], str | None]]
] = {
    nodes.Const: lambda node, _: _constant_problem(node.value),
    nodes.Name: _name_problem,
    nodes.Getattr: lambda node, _: _private_problem(node.attr),
    nodes.Getitem: lambda node, _: _item_problem(node.arg),
    nodes.Slice: lambda node, _: _slice_problem(node),
    nodes.List: lambda node, _: _literal_problem(node),
    nodes.Tuple: lambda node, _: _literal_problem(node),
    nodes.Call: lambda node, _: _call_problem(node),
    nodes.Filter: lambda node, _: _named_problem(node, node.name, FILTERS, "filter"),
    nodes.Test: lambda node, _: _named_problem(node, node.name, TESTS, "test"),
    **dict.fromkeys(_NUMBER_ONLY_NODES, lambda node, _: _arithmetic_problem(node)),
}
