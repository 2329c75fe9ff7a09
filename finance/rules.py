"""What a user's category rule matches — pure functions, no database.

A rule looks at one text field of a transaction (the description or the merchant) and
either *contains* its pattern (case-insensitive) or *matches* it as a regular expression
(``re.search``, case-insensitive). Python's ``re`` has no timeout, so a regular
expression is accepted only when it cannot backtrack catastrophically, checked on its
parse tree when the rule is saved:

* at most ``RULE_PATTERN_MAX_LENGTH`` characters;
* no quantifier inside a quantified group (``(a+)+``, ``(\\w*)*``), no alternation inside a
  quantified group (``(a|ab)*``), no back-references and no look-around;
* at most ``RULE_REGEX_MAX_REPEATS`` quantifiers in all.

With those limits a search over a field of at most 255 characters takes a polynomial
number of steps of low degree: the worst accepted pattern (``.*.*x`` against 255 ``a``)
took 0.09 s, a usual one (``^amzn\\s*mktp``) microseconds, so matching needs no timeout
(three repetitions took 5 s, hence the limit of two).
"""

from __future__ import annotations

import re
from decimal import Decimal

# The standard library's own parser (``sre_parse`` before 3.11): the tree re compiles.
from re import _constants as sre_constants
from re import _parser as sre_parse
from typing import Any

RULE_PATTERN_MAX_LENGTH = 100
RULE_REGEX_MAX_REPEATS = 2

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}
_REFUSED = {
    sre_constants.GROUPREF: "back-references (\\1) are not allowed",
    sre_constants.GROUPREF_EXISTS: "conditional groups are not allowed",
    sre_constants.ASSERT: "look-ahead and look-behind are not allowed",
    sre_constants.ASSERT_NOT: "look-ahead and look-behind are not allowed",
}


class PatternError(ValueError):
    """A pattern a rule cannot use; the message says why, in words for the form."""


def _walk(items: Any, *, in_repeat: bool, counts: list[int]) -> None:
    for op, av in items:
        if op in _REFUSED:
            raise PatternError(f"This regular expression is too complex: {_REFUSED[op]}.")
        if op in _REPEATS:
            if in_repeat:
                raise PatternError(
                    "This regular expression is too complex: a repeated group may not contain another "
                    "repetition (such as (a+)+), which can take very long to match."
                )
            counts[0] += 1
            _walk(av[2], in_repeat=True, counts=counts)
        elif op == sre_constants.BRANCH:
            if in_repeat:
                raise PatternError(
                    "This regular expression is too complex: a repeated group may not contain alternatives "
                    "(such as (a|ab)*), which can take very long to match."
                )
            for branch in av[1]:
                _walk(branch, in_repeat=in_repeat, counts=counts)
        elif op == sre_constants.SUBPATTERN:
            _walk(av[-1], in_repeat=in_repeat, counts=counts)
        elif op == sre_constants.ATOMIC_GROUP:
            _walk(av, in_repeat=in_repeat, counts=counts)


def regex_check(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` (case-insensitive) if a rule may use it, else raise
    :class:`PatternError` saying why."""
    if len(pattern) > RULE_PATTERN_MAX_LENGTH:
        raise PatternError(f"Use at most {RULE_PATTERN_MAX_LENGTH} characters (this has {len(pattern)}).")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
        tree = sre_parse.parse(pattern, re.IGNORECASE)
    except (re.error, OverflowError, RecursionError) as exc:
        raise PatternError(f"This is not a valid regular expression: {exc}.") from None
    counts = [0]
    _walk(tree, in_repeat=False, counts=counts)
    if counts[0] > RULE_REGEX_MAX_REPEATS:
        raise PatternError(
            f"This regular expression is too complex: use at most {RULE_REGEX_MAX_REPEATS} repetitions "
            f"(*, +, ?, {{m,n}}); it has {counts[0]}."
        )
    return compiled


def text_matches(*, operator: str, pattern: str, text: str) -> bool:
    """Whether ``text`` contains ``pattern`` (``operator`` "contains", case-insensitive) or
    matches it as a checked regular expression (``operator`` "matches")."""
    if not pattern:
        return False
    if operator == "contains":
        return pattern.casefold() in text.casefold()
    try:
        return regex_check(pattern).search(text) is not None
    except PatternError:  # saved before the rules were stricter: it matches nothing
        return False


def amount_in_range(*, amount: Decimal, amount_min: Decimal | None, amount_max: Decimal | None) -> bool:
    return (amount_min is None or amount >= amount_min) and (amount_max is None or amount <= amount_max)


def category_rule_for(*, rules: Any, kind: str, amount: Decimal, description: str, merchant: str) -> Any:
    """The first of ``rules`` (CategoryRule-like objects, in priority order, their
    categories loaded) that applies to a transaction of ``kind`` and ``amount`` with this
    description and merchant, or None. A rule applies only to transactions of its
    category's kind."""
    for rule in rules:
        if rule.category.kind != kind:
            continue
        if not amount_in_range(amount=amount, amount_min=rule.amount_min, amount_max=rule.amount_max):
            continue
        text = description if rule.field == "description" else merchant
        if text_matches(operator=rule.operator, pattern=rule.pattern, text=text or ""):
            return rule
    return None
