"""Coaching: behavioural events, segments, bandit recommendations and predictions."""
