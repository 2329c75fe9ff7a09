"""Bandit strategies for slates of recommendations, and their offline evaluation. Pure
numpy: no Django, so the benchmark and the tests drive them directly.

**One protocol** (:class:`Strategy`): given the arms on offer with their counts
(:class:`ArmStats`: ``alpha`` = 1 + rewards, ``beta`` = 1 + misses, the store of
:class:`~coaching.models.BanditArm`) and a slate size ``k``,

- ``choose(arms, k, rng)`` returns up to ``k`` arms, best first, each with the score that
  ranked it (Thompson's draw, UCB1's index, ε-greedy's posterior mean);
- ``inclusion(arms, k)`` returns, for every arm on offer, the probability that ``choose``
  puts it in the slate — the *propensity* logged with each impression and the
  probability a target policy gives a logged arm in inverse propensity scoring.

Strategies:

- :class:`EpsilonGreedy`: with probability ε the slate is ``k`` arms drawn uniformly at
  random, otherwise the ``k`` of highest posterior mean (ties broken at random); exact
  propensity ``ε·k/m + (1 − ε)·[arm in the greedy top k]`` (fractional for a tie at
  the boundary).
- :class:`UCB1`: the ``k`` highest indices ``mean + sqrt(2 ln N / n)`` (Auer et al. 2002;
  ``n`` an arm's answered impressions, ``N`` those of the arms on offer; an arm never
  answered has an infinite index), ties broken at random; propensity 1, 0 or the tie's
  share.
- :class:`Thompson`: one Beta(alpha, beta) draw per arm, the ``k`` highest; the
  propensity has no closed form for ``k > 1`` and is estimated from ``samples``
  Monte-Carlo draws with a fixed ``seed`` (the same counts give the same estimate,
  whatever the order of the arms),
  floored at ``1 / samples`` so a shown arm never has propensity 0.

**Offline evaluation** (:func:`ips_evaluate`): each logged impression of arm ``a`` at a
decision ``d`` has reward ``r`` and logged propensity ``p₀ = P₀(a ∈ slate | d)``; a target
policy gives ``p₁ = P₁(a ∈ slate | d)`` from the same counts. With ``w = p₁ / p₀``,
IPS = Σ w·r / n (n impressions) and SNIPS = Σ w·r / Σ w, both the expected reward per
recommendation shown (rewards of the arms of a slate add up; an arm's reward does not
depend on its neighbours). The logging policy's own weights are 1, so its IPS is its
realised mean. Confidence intervals resample or linearise over decisions (the
impressions of one slate are not independent): a percentile bootstrap over decisions, or
the normal approximation of a ratio estimator (delta method).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

THOMPSON_SAMPLES = 2000
THOMPSON_SEED = 20240601
Z95 = 1.959963984540054


@dataclass(frozen=True)
class ArmStats:
    """An arm's Beta posterior: ``alpha`` = 1 + rewards, ``beta`` = 1 + misses."""

    alpha: float = 1.0
    beta: float = 1.0

    @property
    def trials(self) -> float:
        return self.alpha + self.beta - 2.0

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


class Strategy(Protocol):
    name: str

    def choose(
        self, arms: Mapping[str, ArmStats], k: int, rng: np.random.Generator
    ) -> list[tuple[str, float]]: ...

    def inclusion(self, arms: Mapping[str, ArmStats], k: int) -> dict[str, float]: ...

    def params(self) -> dict[str, float]: ...


def _top_k_choose(scores: Mapping[str, float], k: int, rng: np.random.Generator) -> list[tuple[str, float]]:
    """The ``k`` highest scores, ties in a random order."""
    names = list(scores)
    tie_break = rng.random(len(names))
    order = sorted(range(len(names)), key=lambda i: (-scores[names[i]], tie_break[i]))
    return [(names[i], scores[names[i]]) for i in order[:k]]


def _top_k_inclusion(scores: Mapping[str, float], k: int) -> dict[str, float]:
    """P(arm in the top ``k``) when ties are broken uniformly at random."""
    k = min(k, len(scores))
    if k == 0:
        return dict.fromkeys(scores, 0.0)
    boundary = sorted(scores.values(), reverse=True)[k - 1]
    above = sum(1 for s in scores.values() if s > boundary)
    tied = sum(1 for s in scores.values() if s == boundary)
    share = (k - above) / tied
    return {arm: 1.0 if s > boundary else share if s == boundary else 0.0 for arm, s in scores.items()}


@dataclass(frozen=True)
class EpsilonGreedy:
    epsilon: float = 0.1
    name: str = field(default="epsilon_greedy", init=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.epsilon <= 1.0:
            raise ValueError(f"epsilon must be between 0 and 1, not {self.epsilon}.")

    def choose(self, arms: Mapping[str, ArmStats], k: int, rng: np.random.Generator) -> list[tuple[str, float]]:
        means = {arm: stats.mean for arm, stats in arms.items()}
        if rng.random() < self.epsilon:
            picked = rng.permutation(len(means))[:k]
            names = list(means)
            return [(names[i], means[names[i]]) for i in picked]
        return _top_k_choose(means, k, rng)

    def inclusion(self, arms: Mapping[str, ArmStats], k: int) -> dict[str, float]:
        if not arms:
            return {}
        greedy = _top_k_inclusion({arm: stats.mean for arm, stats in arms.items()}, k)
        uniform = min(k, len(arms)) / len(arms)
        return {arm: self.epsilon * uniform + (1.0 - self.epsilon) * p for arm, p in greedy.items()}

    def params(self) -> dict[str, float]:
        return {"epsilon": self.epsilon}


@dataclass(frozen=True)
class UCB1:
    name: str = field(default="ucb1", init=False)

    @staticmethod
    def indices(arms: Mapping[str, ArmStats]) -> dict[str, float]:
        total = sum(stats.trials for stats in arms.values())
        return {
            arm: (stats.alpha - 1.0) / stats.trials + math.sqrt(2.0 * math.log(max(total, 1.0)) / stats.trials)
            if stats.trials > 0 else math.inf
            for arm, stats in arms.items()
        }

    def choose(self, arms: Mapping[str, ArmStats], k: int, rng: np.random.Generator) -> list[tuple[str, float]]:
        return _top_k_choose(self.indices(arms), k, rng)

    def inclusion(self, arms: Mapping[str, ArmStats], k: int) -> dict[str, float]:
        return _top_k_inclusion(self.indices(arms), k)

    def params(self) -> dict[str, float]:
        return {}


@dataclass(frozen=True)
class Thompson:
    samples: int = THOMPSON_SAMPLES
    seed: int = THOMPSON_SEED
    name: str = field(default="thompson", init=False)

    def choose(self, arms: Mapping[str, ArmStats], k: int, rng: np.random.Generator) -> list[tuple[str, float]]:
        """One draw per arm in the given order (a seeded ``rng`` repeats), highest first."""
        draws = [(arm, float(rng.beta(stats.alpha, stats.beta))) for arm, stats in arms.items()]
        return sorted(draws, key=lambda pair: -pair[1])[:k]

    def inclusion(self, arms: Mapping[str, ArmStats], k: int) -> dict[str, float]:
        names = sorted(arms)  # the same estimate whatever the order the arms come in
        k = min(k, len(names))
        if k == 0:
            return {}
        if k == len(names):
            return dict.fromkeys(names, 1.0)
        rng = np.random.default_rng(self.seed)
        alphas = np.array([arms[n].alpha for n in names])
        betas = np.array([arms[n].beta for n in names])
        draws = rng.beta(alphas, betas, size=(self.samples, len(names)))
        top = np.argpartition(-draws, k - 1, axis=1)[:, :k]
        counts = np.bincount(top.ravel(), minlength=len(names))
        floor = 1.0 / self.samples
        return {name: max(float(c) / self.samples, floor) for name, c in zip(names, counts, strict=True)}

    def params(self) -> dict[str, float]:
        return {"samples": self.samples}


STRATEGIES = ("thompson", "epsilon_greedy", "ucb1")


def strategy_build(name: str, *, epsilon: float = 0.1, samples: int = THOMPSON_SAMPLES) -> Strategy:
    """The strategy called ``name`` (one of :data:`STRATEGIES`); ``ValueError`` otherwise."""
    if name == "thompson":
        return Thompson(samples=samples)
    if name == "epsilon_greedy":
        return EpsilonGreedy(epsilon=epsilon)
    if name == "ucb1":
        return UCB1()
    raise ValueError(f"Unknown strategy '{name}'; use one of: {', '.join(STRATEGIES)}.")


# --- offline evaluation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One logged slate: the arms on offer with their counts, the slate size, and the
    impressions shown as (arm, logged propensity, reward)."""

    arms: Mapping[str, ArmStats]
    k: int
    shown: Sequence[tuple[str, float, float]]


@dataclass(frozen=True)
class Estimate:
    ips: float
    ips_ci: tuple[float, float]
    snips: float
    snips_ci: tuple[float, float]
    impressions: int
    decisions: int
    mean_weight: float
    effective_size: float  # (Σw)² / Σw²


def target_inclusions(decisions: Sequence[Decision], target: Strategy) -> list[dict[str, float]]:
    """Per decision, ``target``'s propensities for the arms on offer (computed once per
    distinct (arms, k): the counts change only when an answer comes)."""
    cache: dict[tuple, dict[str, float]] = {}
    out = []
    for d in decisions:
        key = (tuple(sorted((a, s.alpha, s.beta) for a, s in d.arms.items())), d.k)
        probs = cache.get(key)
        if probs is None:
            probs = cache[key] = target.inclusion(d.arms, d.k)
        out.append(probs)
    return out


def target_weights(decisions: Sequence[Decision], target: Strategy) -> list[np.ndarray]:
    """Per decision, the weights p₁ / p₀ of its impressions under ``target``."""
    return [np.array([probs.get(arm, 0.0) / logged for arm, logged, _ in d.shown])
            for d, probs in zip(decisions, target_inclusions(decisions, target), strict=True)]


def _ratio_ci(y: np.ndarray, x: np.ndarray, *, method: str, rounds: int, seed: int) -> tuple[float, float]:
    """95 % interval of Σy / Σx over decisions (y, x one value per decision)."""
    ratio = y.sum() / x.sum()
    n = len(y)
    if n < 2:
        return (math.nan, math.nan)
    if method == "normal":
        residual = y - ratio * x
        se = math.sqrt(residual.var(ddof=1) / n) / x.mean()
        return (ratio - Z95 * se, ratio + Z95 * se)
    rng = np.random.default_rng(seed)
    stats = np.empty(rounds)
    for start in range(0, rounds, 100):
        stop = min(start + 100, rounds)
        idx = rng.integers(0, n, size=(stop - start, n))
        stats[start:stop] = y[idx].sum(axis=1) / np.maximum(x[idx].sum(axis=1), 1e-300)
    low, high = np.percentile(stats, [2.5, 97.5])
    return (float(low), float(high))


def ips_evaluate(
    decisions: Sequence[Decision], target: Strategy | None, *, ci: str = "bootstrap", rounds: int = 1000,
    seed: int = 0,
) -> Estimate:
    """IPS and SNIPS of ``target`` (``None``: the logging policy itself, every weight 1)
    on the logged ``decisions``, with 95 % intervals (``ci``: ``bootstrap`` or ``normal``)."""
    if ci not in ("bootstrap", "normal"):
        raise ValueError(f"Unknown interval '{ci}'; use bootstrap or normal.")
    decisions = [d for d in decisions if d.shown]
    if not decisions:
        raise ValueError("No logged impressions to evaluate.")
    weights = (target_weights(decisions, target) if target is not None
               else [np.ones(len(d.shown)) for d in decisions])
    rewards = [np.array([r for _, _, r in d.shown]) for d in decisions]
    wr = np.array([float(w @ r) for w, r in zip(weights, rewards, strict=True)])
    wsum = np.array([float(w.sum()) for w in weights])
    size = np.array([float(len(d.shown)) for d in decisions])
    all_w = np.concatenate(weights)
    snips = float(wr.sum() / wsum.sum()) if wsum.sum() > 0 else math.nan
    return Estimate(
        ips=float(wr.sum() / size.sum()),
        ips_ci=_ratio_ci(wr, size, method=ci, rounds=rounds, seed=seed),
        snips=snips,
        snips_ci=_ratio_ci(wr, wsum, method=ci, rounds=rounds, seed=seed) if wsum.sum() > 0 else (math.nan, math.nan),
        impressions=int(size.sum()),
        decisions=len(decisions),
        mean_weight=float(all_w.mean()),
        effective_size=float(all_w.sum() ** 2 / (all_w @ all_w)) if all_w.any() else 0.0,
    )


def true_value(decisions: Sequence[Decision], target: Strategy, rates: Sequence[Mapping[str, float]]) -> float:
    """The expected reward per recommendation shown of ``target`` at the logged decisions
    when the chance of a reward of each arm at decision ``i`` is ``rates[i][arm]`` (known in
    a simulation, not in real logs)."""
    total = shown = 0.0
    for probs, rate in zip(target_inclusions(decisions, target), rates, strict=True):
        total += sum(p * rate[arm] for arm, p in probs.items())
        shown += sum(probs.values())
    return total / shown
