"""The bandit strategies' choices and propensities, and inverse propensity scoring: the
logging policy's IPS is its realised mean, and the IPS of other strategies on simulated
logs with known acceptance rates lands on their true value (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from coaching.bandits import (
    UCB1,
    ArmStats,
    Decision,
    EpsilonGreedy,
    Thompson,
    ips_evaluate,
    strategy_build,
    true_value,
)

#: the chance that a member acts on each arm (the simulation's truth)
RATES = {"a": 0.10, "b": 0.30, "c": 0.50, "d": 0.70, "e": 0.20, "f": 0.40}
#: counts a logging policy decides from when it does not learn
#: (misleading: a looks best and is the worst)
FIXED = {"a": ArmStats(9, 3), "b": ArmStats(4, 6), "c": ArmStats(3, 7), "d": ArmStats(6, 4),
         "e": ArmStats(1, 1), "f": ArmStats(5, 5)}


def simulate(logger, *, decisions: int, k: int, seed: int, learn: bool) -> list[Decision]:
    """``decisions`` slates of ``k`` chosen by ``logger`` over the six arms; each shown arm
    is rewarded with its rate in :data:`RATES`; with ``learn`` the counts take the rewards
    (as the bandit's posteriors do), otherwise they stay :data:`FIXED`."""
    rng = np.random.default_rng(seed)
    arms = dict(FIXED) if not learn else {arm: ArmStats() for arm in RATES}
    out = []
    for _ in range(decisions):
        propensities = logger.inclusion(arms, k)
        shown = [(arm, propensities[arm], float(rng.random() < RATES[arm])) for arm, _ in logger.choose(arms, k, rng)]
        out.append(Decision(arms=dict(arms), k=k, shown=shown))
        if learn:
            for arm, _, reward in shown:
                arms[arm] = ArmStats(arms[arm].alpha + reward, arms[arm].beta + 1 - reward)
    return out


def realised_mean(decisions: list[Decision]) -> float:
    rewards = [r for d in decisions for _, _, r in d.shown]
    return sum(rewards) / len(rewards)


class TestPropensities:
    def test_epsilon_greedy_mixes_a_random_slate_and_the_greedy_one(self):
        arms = {"a": ArmStats(9, 1), "b": ArmStats(1, 9), "c": ArmStats(5, 5), "d": ArmStats(2, 8)}
        assert EpsilonGreedy(0.2).inclusion(arms, 1) == pytest.approx({"a": 0.85, "b": 0.05, "c": 0.05, "d": 0.05})
        assert EpsilonGreedy(0.2).inclusion(arms, 2) == pytest.approx({"a": 0.9, "b": 0.1, "c": 0.9, "d": 0.1})

    def test_a_tie_at_the_boundary_shares_the_slots_left(self):
        # three arms never answered (infinite index) for two slots
        arms = {"a": ArmStats(), "b": ArmStats(), "c": ArmStats(), "d": ArmStats(3, 2)}
        assert UCB1().inclusion(arms, 2) == pytest.approx({"a": 2 / 3, "b": 2 / 3, "c": 2 / 3, "d": 0.0})
        assert UCB1().inclusion(arms, 4) == {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}

    def test_ucb1_ranks_by_mean_plus_the_exploration_bonus(self):
        # 10 answers in all: a 8/9 with 9 answers, b 0/1 with 1 answer
        arms = {"a": ArmStats(9, 2), "b": ArmStats(1, 2)}
        indices = UCB1.indices(arms)
        assert indices["a"] == pytest.approx(8 / 9 + math.sqrt(2 * math.log(10) / 9))
        assert indices["b"] == pytest.approx(0 + math.sqrt(2 * math.log(10) / 1))
        assert UCB1().inclusion(arms, 1) == {"a": 0.0, "b": 1.0}  # 2.146 > 0.889 + 1.012

    @pytest.mark.parametrize("strategy", [EpsilonGreedy(0.3), UCB1(), Thompson(samples=4000)])
    def test_the_propensities_are_the_frequencies_of_the_choices(self, strategy):
        # given counts with a tie among the arms never answered
        arms = {"a": ArmStats(3, 5), "b": ArmStats(6, 2), "c": ArmStats(), "d": ArmStats(), "e": ArmStats(2, 2)}
        rng = np.random.default_rng(11)
        # when the strategy chooses 20,000 slates of two
        counts = dict.fromkeys(arms, 0)
        for _ in range(20_000):
            for arm, _ in strategy.choose(arms, 2, rng):
                counts[arm] += 1
        # then each arm is shown as often as its propensity says (within 4 standard errors)
        propensities = strategy.inclusion(arms, 2)
        assert sum(propensities.values()) == pytest.approx(2.0, abs=2 / 1000)
        for arm, p in propensities.items():
            se = math.sqrt(max(p * (1 - p), 1e-4) / 20_000) + (math.sqrt(p * (1 - p) / 4000) if p < 1 else 0)
            assert abs(counts[arm] / 20_000 - p) < 4 * se, arm

    def test_thompsons_monte_carlo_propensity_matches_the_integral(self):
        # P(a's draw is the highest) = ∫ f_a(x) Π_b F_b(x) dx
        arms = {"a": ArmStats(4, 6), "b": ArmStats(6, 4), "c": ArmStats(2, 2)}
        estimate = Thompson(samples=20_000).inclusion(arms, 1)
        for arm in arms:
            others = [b for b in arms if b != arm]
            exact, _ = integrate.quad(lambda x, arm=arm, others=others: stats.beta.pdf(x, arms[arm].alpha, arms[arm].beta)
                                      * math.prod(stats.beta.cdf(x, arms[b].alpha, arms[b].beta) for b in others),
                                      0, 1)
            assert abs(estimate[arm] - exact) < 4 * math.sqrt(exact * (1 - exact) / 20_000), arm

    def test_thompsons_estimate_is_seeded_and_never_zero_for_an_arm_on_offer(self):
        arms = {"good": ArmStats(500, 1), "bad": ArmStats(1, 500)}
        assert Thompson(samples=1000).inclusion(arms, 1) == {"good": 1.0, "bad": 1 / 1000}
        assert Thompson().inclusion(FIXED, 2) == Thompson().inclusion(FIXED, 2)

    def test_an_unknown_strategy_or_epsilon_is_refused(self):
        with pytest.raises(ValueError, match="Unknown strategy 'greedy'"):
            strategy_build("greedy")
        with pytest.raises(ValueError, match="epsilon must be between 0 and 1"):
            strategy_build("epsilon_greedy", epsilon=1.5)


class TestInversePropensityScoring:
    @pytest.mark.parametrize("logger", [EpsilonGreedy(0.2), UCB1(), Thompson(samples=500)])
    def test_the_logging_policy_evaluated_on_its_own_log_is_its_realised_mean(self, logger):
        # given 3,000 slates of two logged by a learning strategy (its counts take every reward)
        decisions = simulate(logger, decisions=3000, k=2, seed=5, learn=True)
        # when the same strategy is evaluated as the target, from the counts logged with each slate
        estimate = ips_evaluate(decisions, strategy_build(logger.name, epsilon=0.2, samples=500))
        # then every weight is 1 and IPS and SNIPS are the realised mean reward, exactly
        assert estimate.mean_weight == pytest.approx(1.0, abs=1e-12)
        assert estimate.ips == pytest.approx(realised_mean(decisions), abs=1e-12)
        assert estimate.snips == pytest.approx(realised_mean(decisions), abs=1e-12)
        assert (estimate.impressions, estimate.decisions) == (6000, 3000)
        assert estimate.ips_ci[0] < estimate.ips < estimate.ips_ci[1]

    def test_the_realised_mean_is_the_logging_policys_true_value_within_its_interval(self):
        # given 20,000 slates of two logged by ε-greedy (ε = 0.5) from fixed counts, whose true
        # value is Σ P(arm shown) × rate / 2: half the slates at random, half greedy (a and d) — 0.3833
        logger = EpsilonGreedy(0.5)
        decisions = simulate(logger, decisions=20_000, k=2, seed=1, learn=False)
        truth = true_value(decisions, logger, [RATES] * len(decisions))
        assert truth == pytest.approx(0.5 * (2 / 6) * 2.2 / 2 + 0.5 * (0.1 + 0.7) / 2)
        assert truth == pytest.approx(0.383333, abs=1e-6)
        # when the logging policy is evaluated on its own log (and the ε-greedy target recomputes its propensities)
        logged = ips_evaluate(decisions, None)
        again = ips_evaluate(decisions, EpsilonGreedy(0.5), ci="normal")
        # then IPS is the realised mean, and the truth lies in the 95 % interval
        assert logged.ips == realised_mean(decisions)
        assert again.ips == pytest.approx(logged.ips, abs=1e-12)
        assert logged.ips_ci[0] < truth < logged.ips_ci[1]
        assert again.ips_ci[0] < truth < again.ips_ci[1]
        assert abs(logged.ips - truth) < 0.01

    @pytest.mark.parametrize(("target", "gap"), [(UCB1(), 0.15), (Thompson(samples=2000), 0.05),
                                                 (EpsilonGreedy(0.1), 0.02)])
    def test_another_strategys_value_is_recovered_from_the_log(self, target, gap):
        # given 20,000 slates of two shown at random (a uniform logging policy: 0.3667), and
        # a target whose true value differs from that (UCB1 0.15, Thompson 0.30, ε-greedy 0.40)
        decisions = simulate(EpsilonGreedy(1.0), decisions=20_000, k=2, seed=1, learn=False)
        truth = true_value(decisions, target, [RATES] * len(decisions))
        assert abs(realised_mean(decisions) - truth) > gap
        # when the target is evaluated with IPS and SNIPS
        estimate = ips_evaluate(decisions, target, rounds=400, seed=3)
        # then both 95 % intervals hold the target's true value, and both estimates are within 0.02 of it
        assert estimate.ips_ci[0] < truth < estimate.ips_ci[1]
        assert estimate.snips_ci[0] < truth < estimate.snips_ci[1]
        assert abs(estimate.ips - truth) < 0.02
        assert abs(estimate.snips - truth) < 0.02

    def test_bootstrap_and_normal_intervals_agree(self):
        decisions = simulate(EpsilonGreedy(0.5), decisions=5000, k=2, seed=8, learn=False)
        boot = ips_evaluate(decisions, UCB1(), ci="bootstrap", rounds=1000, seed=0)
        normal = ips_evaluate(decisions, UCB1(), ci="normal")
        assert boot.ips == normal.ips
        assert boot.ips_ci == pytest.approx(normal.ips_ci, abs=0.006)
        assert normal.ips_ci[1] - normal.ips_ci[0] > 0.01

    def test_nothing_logged_or_an_unknown_interval_is_refused(self):
        with pytest.raises(ValueError, match="No logged impressions"):
            ips_evaluate([], UCB1())
        with pytest.raises(ValueError, match="Unknown interval 'exact'"):
            ips_evaluate(simulate(UCB1(), decisions=3, k=1, seed=0, learn=False), None, ci="exact")
