"""Agent queues: Erlang C and Erlang A against published figures and an independent
birth-death solution, the offered wait as sampled, and queues inside the caller model
(exact and simulated agree, overload is a one-line error)."""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr import parse_menu
from ivr.callers.chain import compile_chain
from ivr.callers.exact import solve
from ivr.callers.metrics import agreement, summarize, summarize_exact
from ivr.callers.simulate import simulate
from ivr.cli import main
from ivr.errors import ConfigError
from ivr.model import Menu
from ivr.queueing.erlang import erlang_a, erlang_c, offered_wait

# ------------------------------------------------------------------ published vectors


def test_erlang_c_100_calls_per_half_hour_3_minutes_14_agents() -> None:
    q = erlang_c(200, 14, 180, target=20)
    assert round(q.p_wait, 4) == 0.1741
    assert round(q.service_level, 4) == 0.8884
    assert round(q.asa, 2) == 7.84
    assert q.p_abandon == 0.0 and q.model == "erlang_c"
    assert q.occupancy == pytest.approx(10 / 14)


def test_erlang_c_1000_calls_per_hour_120_seconds_40_agents() -> None:
    q = erlang_c(1000, 40, 120, target=20)
    assert round(q.p_wait, 4) == 0.1907
    assert round(q.service_level, 4) == 0.9372
    assert round(q.asa, 2) == 3.43


def test_erlang_a_lambda_10_per_3_min_mu_1_3_theta_1_2_ten_agents() -> None:
    # Rates per minute: lambda 10/3, mu 1/3, theta 1/2 -> 200 calls/h, 180 s, 120 s.
    q = erlang_a(200, 10, 180, 120)
    assert round(q.p_wait, 4) == 0.4969
    assert round(q.p_abandon, 4) == 0.1375
    w = offered_wait(10 / 3, 10, 1 / 3, 1 / 2)  # the same in minutes
    assert round(w.p_wait, 4) == 0.4969 and round(w.p_abandon(), 4) == 0.1375


# ------------------------------------------------------------------ independent checks


def birth_death(lam: float, n: int, mu: float, theta: float, size: int) -> np.ndarray:
    """Stationary distribution of the number in system, by detailed balance state by state
    (no Poisson weights, no logarithms), and checked against the generator."""
    pi = [1.0]
    for k in range(1, size):
        pi.append(pi[-1] * lam / (min(k, n) * mu + max(k - n, 0) * theta))
    out = np.array(pi) / sum(pi)
    q = np.zeros((size, size))
    for k in range(size - 1):
        q[k, k + 1] = lam
        q[k + 1, k] = min(k + 1, n) * mu + max(k + 1 - n, 0) * theta
    np.fill_diagonal(q, -q.sum(axis=1))
    assert np.abs(out @ q).max() < 1e-12 * max(lam, n * mu, size * theta)
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 30), st.floats(0.2, 1.6), st.floats(30, 900), st.floats(20, 600))
def test_erlang_a_agrees_with_the_birth_death_chain(n: int, load: float, handle: float,
                                                    patience: float) -> None:
    mu, theta = 1 / handle, 1 / patience
    lam = load * n * mu
    w = offered_wait(lam, n, mu, theta)
    pi = birth_death(lam, n, mu, theta, size=n + 400)
    k = np.arange(len(pi))
    queued = np.maximum(k - n, 0)
    assert w.p_wait == pytest.approx(pi[n:].sum(), rel=1e-9, abs=1e-15)
    # Abandonment rate = theta E[Lq] = lambda P(abandon); Little: E[Lq] = lambda E[time].
    assert w.p_abandon() == pytest.approx(theta * (pi * queued).sum() / lam, rel=1e-9,
                                          abs=1e-15)
    assert w.queue_seconds() == pytest.approx((pi * queued).sum() / lam, rel=1e-9, abs=1e-12)
    q = erlang_a(lam * 3600, n, handle, patience)
    assert 0 <= q.p_abandon <= q.p_wait <= 1
    assert 1 - q.p_wait - 1e-12 <= q.service_level <= 1 - q.p_abandon + 1e-12
    assert q.occupancy == pytest.approx(lam * (1 - q.p_abandon) * handle / n)


def test_long_patience_tends_to_erlang_c() -> None:
    c = erlang_c(1000, 40, 120)
    a = erlang_a(1000, 40, 120, 1e7)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-4)
    assert a.asa == pytest.approx(c.asa, rel=1e-3)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-5)


def test_a_thousand_agents_do_not_overflow() -> None:
    q = erlang_c(3600 * 990 / 60, 1000, 60)          # 990 erlangs on 1000 agents
    assert 0 < q.p_wait < 1 and math.isfinite(q.asa)
    a = erlang_a(3600 * 1100 / 60, 1000, 60, 90)      # overloaded, but callers give up
    assert 0.05 < a.p_abandon < 0.2 and a.p_wait > 0.99


def test_sampled_offered_waits_have_the_modelled_distribution() -> None:
    w = offered_wait(200 / 3600, 10, 1 / 180, 1 / 120)
    gen = np.random.default_rng(5)
    n = 400_000
    u = gen.random(n)

    def stage(i: int, which: np.ndarray) -> np.ndarray:
        return gen.random(len(which))

    v = w.sample(u, stage)
    assert (v == 0).mean() == pytest.approx(1 - w.p_wait, abs=4e-3)
    patience = gen.exponential(120, n)
    answered = v < patience
    assert 1 - answered.mean() == pytest.approx(w.p_abandon(), abs=3e-3)
    assert ((v <= 20) & answered).mean() == pytest.approx(w.answered_within(20), abs=3e-3)
    wait1, _ = w.answered_wait()
    assert np.where(answered, v, 0).mean() == pytest.approx(wait1, rel=0.02)
    c = offered_wait(200 / 3600, 14, 1 / 180)          # Erlang C: exponential tail
    vc = c.sample(u, stage)
    assert (vc <= 20).mean() == pytest.approx(c.answered_within(20), abs=3e-3)
    assert vc.mean() == pytest.approx(c.answered_wait()[0], rel=0.03)


# ------------------------------------------------------------------ in the caller model

DESK = """\
    name: Desk line
    start: hello
    nodes:
      hello: {{kind: message, seconds: 10, next: main}}
      main: {{kind: menu, seconds: 6, options: {{1: desk, 2: info}}}}
      desk: {{kind: agent, staff: {{agents: {agents}, handle_time: 180}}}}
      info: {{kind: self_service}}
    callers:
      intents:
        talk: {{share: 0.7, goal: desk}}
        read: {{share: 0.3, goal: info}}
      patience: {patience}
      mistake_rate: 0
      confusion: 0
      silence: 0
      calls_per_hour: {calls}
"""


def desk(agents: int = 10, calls: float = 285.0,
         patience: str = "{distribution: exponential, mean: 120}") -> Menu:
    return parse_menu(textwrap.dedent(DESK.format(agents=agents, calls=calls,
                                                  patience=patience)), "desk.yaml")


def test_exact_folds_erlang_a_into_the_outcomes() -> None:
    m = desk()
    r = solve(compile_chain(m))
    reach = 0.7 * math.exp(-16 / 120)          # talkers who did not give up in the menu
    q = erlang_a(285 * reach, 10, 180, 120)
    assert r.outcomes["human"] == pytest.approx(reach * (1 - q.p_abandon), rel=1e-9)
    assert r.outcomes["abandoned"] == pytest.approx(1 - 0.3 * math.exp(-16 / 120)
                                                    - r.outcomes["human"], rel=1e-9)
    assert r.human_seconds == pytest.approx(16 + q.asa, rel=1e-9)
    (fig,) = summarize_exact(compile_chain(m), r).queues
    assert fig.node == "desk" and fig.calls_per_hour == pytest.approx(285 * reach)
    assert fig.p_wait == pytest.approx(q.p_wait) and fig.asa == pytest.approx(q.asa)
    assert r.queue_abandon_at is not None
    assert r.queue_abandon_at.sum() == pytest.approx(reach * q.p_abandon)


def test_without_calls_per_hour_there_is_no_queue() -> None:
    m = desk(calls=0)
    r = solve(compile_chain(m))
    assert r.queues is None
    assert r.outcomes["human"] == pytest.approx(0.7 * math.exp(-16 / 120))
    assert summarize(simulate(compile_chain(m), 2000, seed=1)).queues == ()


@pytest.mark.parametrize("patience", ["{distribution: exponential, mean: 120}",
                                      "{distribution: none}"])
def test_simulated_queues_agree_with_exact(patience: str) -> None:
    m = desk(agents=10 if "exp" in patience else 12, patience=patience)
    chain = compile_chain(m)
    sim = summarize(simulate(chain, 200_000, seed=11))
    exact = summarize_exact(chain, solve(chain))
    for row in agreement(sim, exact):
        assert abs(row.z) < 4.5, row
    (a,), (b,) = sim.queues, exact.queues
    assert a.calls_per_hour == pytest.approx(b.calls_per_hour, rel=0.02)
    assert a.p_abandon == pytest.approx(b.p_abandon, abs=0.02)


def test_non_exponential_patience_waits_with_the_callers_own_patience() -> None:
    m = desk(patience="{distribution: fixed, mean: 60}")
    r = simulate(compile_chain(m), 20_000, seed=2, record=True)
    assert r.callers is not None and r.queues is not None
    human = r.callers.outcome == 1
    abandoned = r.callers.outcome == 5
    assert human.any() and abandoned.any()
    assert (r.callers.seconds[human] <= 60).all()           # answered before giving up
    assert np.allclose(r.callers.seconds[abandoned], 60)    # gave up at their patience


def test_traced_caller_shows_its_queue_wait() -> None:
    r = simulate(compile_chain(desk(agents=9)), 2000, seed=4, trace=20)
    waits = [t for t in r.traces if t.steps and t.steps[-1][1] == "waits"]
    assert waits
    for t in waits:
        node, _, _, ended, wait = t.steps[-1]
        assert node == "desk" and ended == t.outcome and wait >= 0
        assert t.seconds == pytest.approx(sum(s[4] for s in t.steps))


def test_overloaded_queue_without_patience_is_one_line(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Any) -> None:
    m = desk(agents=5, patience="{distribution: none}")
    with pytest.raises(ConfigError, match=r"the queue at 'desk' is overloaded: 199.5 "
                                          r"calls/h need at least 10 agents at 180 s"):
        solve(compile_chain(m))
    f = tmp_path / "desk.yaml"
    f.write_text(textwrap.dedent(DESK.format(agents=5, calls=285,
                                             patience="{distribution: none}")))
    for command in ("solve", "simulate"):
        assert main([command, str(f)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "overloaded" in err and "Traceback" not in err


def test_queue_table_in_text_json_and_csv(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Any) -> None:
    f = tmp_path / "desk.yaml"
    f.write_text(textwrap.dedent(DESK.format(agents=10, calls=285,
                                             patience="{mean: 120}")))
    assert main(["solve", str(f)]) == 0
    out = capsys.readouterr().out
    assert "queues (Erlang A" in out and "desk" in out
    assert main(["simulate", str(f), "-n", "5000", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (q,) = data["queues"]
    assert q["node"] == "desk" and q["agents"] == 10 and 0 < q["p_wait"] < 1
    assert main(["solve", str(f), "--format", "csv"]) == 0
    assert "desk,queue.p_wait," in capsys.readouterr().out


def test_shipped_menus_with_staff_agree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--check", "menus/utility.yaml", "-n", "100000"]) == 0
    assert "seconds to a person" in capsys.readouterr().out


# ------------------------------------------------------------------ without scipy.stats


@settings(max_examples=200, deadline=None)
@given(st.floats(-3, 4), st.integers(1, 5000))
def test_poisson_sums_match_scipy(log_load: float, agents: int) -> None:
    from scipy.stats import poisson

    from ivr.queueing.erlang import poisson_logs

    load = 10.0 ** log_load
    below, full = poisson_logs(load, agents)
    assert full == pytest.approx(float(poisson.logpmf(agents, load)), rel=1e-11, abs=1e-9)
    theirs = float(poisson.logcdf(agents - 1, load))
    if math.isfinite(theirs):  # scipy underflows to -inf far in the tail; the sum does not
        assert below == pytest.approx(theirs, rel=1e-11, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3000), st.floats(-1, 5), st.floats(-6, 1))
def test_negative_binomial_tail_matches_scipy(size: int, log_r: float, log_rate_t: float) -> None:
    from scipy.stats import nbinom

    from ivr.queueing.erlang import _nbinom_sf

    r, rate_t = 10.0 ** log_r, 10.0 ** log_rate_t
    theirs = nbinom.sf(np.arange(size), r, math.exp(-rate_t))
    assert np.abs(_nbinom_sf(size, r, rate_t) - theirs).max() < 1e-10
