"""What coaching reads into a category's free-text name: discretionary spending (dining,
entertainment, shopping…), subscriptions, and emergency-fund or cash-reserve goals.

Workspaces name their categories freely, so these are word matches on the name, kept in
one place for the features, the recommendations and the insights.
"""

from __future__ import annotations

import re

DINING_WORDS = frozenset({"dining", "restaurant", "restaurants", "takeaway", "takeout", "coffee", "meals", "eating"})
DISCRETIONARY_WORDS = DINING_WORDS | frozenset(
    {"entertainment", "shopping", "travel", "gifts", "hobbies", "leisure", "clothing", "games"}
)
SUBSCRIPTION_WORDS = frozenset({"subscription", "subscriptions", "streaming", "software"})
RESERVE_GOAL_WORDS = frozenset({"emergency", "reserve", "rainy", "buffer", "safety"})


def words(name: str) -> set[str]:
    return set(re.findall(r"[a-z]+", name.lower()))


def is_dining(name: str) -> bool:
    return bool(words(name) & DINING_WORDS)


def is_discretionary(name: str) -> bool:
    return bool(words(name) & DISCRETIONARY_WORDS)


def is_subscription(name: str) -> bool:
    return bool(words(name) & SUBSCRIPTION_WORDS)


def is_reserve_goal(name: str) -> bool:
    return bool(words(name) & RESERVE_GOAL_WORDS)
