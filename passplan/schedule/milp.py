"""The exact schedule: a mixed-integer programme solved by HiGHS through ``scipy.optimize.milp``.

Variables: ``x_j`` in {0, 1} (candidate j is scheduled); for each pair demand p and each
satellite S seen by both of its stations, ``r_pS >= 0``, the bits S relays for p (Bennett and
Brassard-style trusted node: announcing K_A xor K_B gives A and B a common key, each pool bit
used once); ``y_d >= 0``, the key served for demand d; for ``fair``, ``t``.

Constraints: the capacity rows of :mod:`.problem`; each (station A, satellite S) pool spent on
relays at most once, ``sum_p r_pS <= sum_j v_j x_j`` over A's links with S; a station demand is
served by its station's key, ``y_d <= sum_j v_j x_j``; a pair demand by its relays and its
entangled links (issue 19: key directly between the two stations, no trusted satellite),
``y_p <= sum_S r_pS + sum_e v_e x_e``. An entangled link is in no pool and no station's key. Objectives:

* ``total`` without demands: maximise the expected key ``sum_j v_j x_j``;
* ``total`` with demands: maximise ``sum_d w_d y_d`` with ``y_d <= D_d`` (key beyond a demand
  is worth nothing; ``w_d`` is the priority), then the expected key as a tie-break;
* ``fair``: maximise ``t`` with ``D_d t <= y_d`` for every demand (one unit demand per station
  when none are given: the max-min of the stations' key in bits), then the expected key. When
  the largest demand exceeds all the key on offer, ``t`` is solved in units of ``1 / T`` with
  ``T`` = largest demand / all the key (rows ``(D_d / T) t' <= y_d``): a demand of 1e15 bits or
  more would otherwise put a coefficient beyond HiGHS' largest accepted matrix value (1e15, its
  ``large_matrix_value``) in the row, and HiGHS declared the always-feasible problem
  infeasible; and ``t`` (then below 1e-6) would weigh less than the tie-break. A row whose
  coefficient ``D_d / T`` falls below 1 is divided by it (``t' <= (T / D_d) y_d``), so a small
  demand beside a huge one is not dropped as a coefficient under HiGHS' smallest (1e-9).

With requests (:mod:`.requests`), binary ``z_jr`` for every link j that may serve request r
(:meth:`passplan.schedule.problem.Problem.request_pairs`): each request served at most once,
``sum_j z_jr <= 1``; a link serves at most one request and only when scheduled,
``sum_r z_jr <= x_j``; for r after q, ``z_jr <= sum_i z_iq`` over the links i of q that end no
later than j starts. The objective is then ``total``: maximise
``sum_d w_d y_d + sum_r priority_r value_r sum_j z_jr`` (the demands' term only when demands are
given), then the expected key: the weighted tie-break, and then a second stage that maximises
the key with the primary objective held (to 1e-9 of it), as 1e-6 of weight can fall inside
HiGHS' gap tolerances. A candidate ``weight`` (a candidates file's
priority) multiplies its key wherever key enters the objective.

The tie-breaks carry a weight of 1e-6 of the primary term's scale, so they never trade primary
objective for key.

A problem of :data:`LP_FIRST_MIN_CANDIDATES` candidates or more solves its LP relaxation first
(without presolve); an integral LP optimum is the MILP's optimum, reported as ``optimal`` with
the LP optimum as its dual bound, gap 0 and one node (the root: no branching), and the MILP is
not run. The capacity rows come from :meth:`passplan.schedule.problem.Problem.capacity_matrix`
(sparse). Time order of relays is not modelled here (pools over the window); the relay
module replays it in time.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import InputError
from .model import SolverSummary
from .problem import Problem

__all__ = [
    "solve_milp", "evaluate", "assign_requests", "relaxation_bound", "integral_optimum", "exceeds", "relative_gap", "MilpResult",
    "OBJECTIVE_REL_TOL", "LP_FIRST_MIN_CANDIDATES",
]

_STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded", 4: "error"}
#: HiGHS' relative gap target; its default (1e-4) could stop short of a greedy's objective.
MIP_REL_GAP = 1e-7
#: Problems with at least this many candidates solve their LP relaxation first: where it is
#: integral (interval rows of stations and satellites often give integral vertices) it is the
#: MILP's optimum, proven, and HiGHS' MILP presolve (2.2 s of a 2.5 s solve on 27,000
#: candidates, bench/bench_schedule.py; the LP takes 0.4 s) is skipped; smaller problems go
#: straight to the MILP.
LP_FIRST_MIN_CANDIDATES = 2000
#: Largest distance of an LP solution's ``x`` from 0 or 1 that still counts as integral (HiGHS'
#: primal feasibility tolerance is 1e-7; vertices of these 0/1 rows are exact).
INTEGRAL_TOL = 1e-9
#: The key stage of a plan with requests (:meth:`_Model._key_stage`) gets this many seconds, or
#: this factor times the first stage's, whichever is more (within the plan's time limit); a
#: stage stopped there keeps its best plan and says the tie-break is not proven.
KEY_STAGE_MIN_S = 10.0
KEY_STAGE_FACTOR = 4.0
#: Relative tolerance of every comparison of two objectives (a greedy against the MILP, a plan
#: against a bound): ten times HiGHS' gap target, so HiGHS' own rounding (and the LP tolerances
#: of a relay allocation, about 1e-9 of the key) never reads as one plan beating another.
OBJECTIVE_REL_TOL = 1e-6


def exceeds(a: float, b: float, rel: float = OBJECTIVE_REL_TOL) -> bool:
    """True when objective ``a`` is larger than ``b`` by more than ``rel`` of the larger of the
    two (plus 1e-12 absolute, so that two zeros are equal)."""
    return a > b + rel * max(abs(a), abs(b)) + 1e-12


def relative_gap(bound: float, objective: float) -> float | None:
    """HiGHS' (and Gurobi's) relative gap of a plan under an upper ``bound`` of its objective,
    ``(bound - objective) / |objective|``: 0 when the bound does not exceed the objective beyond
    :data:`OBJECTIVE_REL_TOL`, None when it is infinite (a zero objective under a positive
    bound; HiGHS' infinite gap is None too)."""
    if not exceeds(bound, objective):
        return 0.0
    if objective == 0:
        return None
    return (bound - objective) / abs(objective)


_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_stdout_fd: int | None = None


@contextlib.contextmanager
def _native_stdout_silenced() -> Iterator[None]:
    """Point the process's standard output (file descriptor 1) at the null device while HiGHS
    runs: the HiGHS bundled with scipy (1.12) writes a debug line there even with ``disp`` off
    ("HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();", ERGO-Code/HiGHS
    issue 2783), which would break ``--format json`` on stdout; the library never prints.
    Python's own buffered output is flushed first; nested or concurrent solves share one
    redirection (counted under a lock). Where descriptor 1 cannot be redirected, nothing is done."""
    global _quiet_depth, _saved_stdout_fd
    with _quiet_lock:
        if _quiet_depth == 0:
            try:
                sys.stdout.flush()
            except (AttributeError, OSError, ValueError):
                pass
            try:
                saved = os.dup(1)
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.close(null)
                _saved_stdout_fd = saved
            except OSError:
                _saved_stdout_fd = None
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _saved_stdout_fd is not None:
                os.dup2(_saved_stdout_fd, 1)
                os.close(_saved_stdout_fd)
                _saved_stdout_fd = None


@dataclass(frozen=True)
class MilpResult:
    x: np.ndarray
    served: dict[str, float]  # demand label -> served bits
    summary: SolverSummary
    #: with requests: the request (index into ``Problem.requests``) each scheduled link serves
    assignment: dict[int, int] = field(default_factory=dict)


class _Model:
    """Variable layout, objective and constraint matrix of one problem."""

    def __init__(self, prob: Problem) -> None:
        from scipy.sparse import coo_matrix, csr_matrix, vstack

        self.prob = prob
        n = prob.n
        demands = prob.demand_scale()
        self.demands = demands
        fair = prob.objective == "fair"
        # relay variables
        self.r_index: list[tuple[int, tuple[str, str]]] = []  # (demand index, satellite key)
        for k, (d, _) in enumerate(demands):
            if d.is_pair:
                self.r_index.extend((k, s) for s in prob.pair_satellites(d))
        nr, nd = len(self.r_index), len(demands)
        self.ix, self.ir, self.iy = 0, n, n + nr
        self.it = n + nr + nd
        self.nvar = n + nr + nd + (1 if fair else 0)
        # request assignment pairs z_p = (link pj[p], request pr[p]) after every other variable
        self.pj, self.pr = prob.request_pairs()
        self.iz = self.nvar
        self.nvar += self.pj.size
        self.req_w = np.array([r.weight for r in prob.requests], float)
        v = prob.value
        kv = prob.key_value  # the key term: expected key times the candidate's weight (1 by default)
        c = np.zeros(self.nvar)
        total_v = float(v[prob.allowed].sum()) if n else 0.0
        total_kv = float(kv[prob.allowed].sum()) if n else 0.0
        # fair: t is solved as t' = t * t_scale (module docstring; 1 unless a demand exceeds all the key)
        self.t_scale = 1.0
        if fair and demands:
            self.t_scale = max(1.0, max(scale for _, scale in demands) / max(total_v, 1.0))
        if fair:
            c[self.it] = -1.0
            c[:n] = -1e-6 * v / max(total_v, 1.0)
        elif demands or prob.requests:
            w = np.array([d.priority for d, _ in demands])
            c[self.iy : self.iy + nd] = -w
            c[self.iz :] = -self.req_w[self.pr]
            # the primary term is at most sum w_d min(D_d, all key): scale the tie-break to it
            smallest = min([d.priority * min(scale, max(total_v, 1.0)) for d, scale in demands]
                           + self.req_w.tolist())
            c[:n] = -1e-6 * smallest * kv / max(total_kv, 1.0)
        else:
            c[:n] = -kv
        self.c = c
        cap, cap_units = prob.capacity_matrix()  # sparse: memory linear in candidates and overlaps
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lo: list[float] = [-np.inf] * cap_units.size
        hi: list[float] = cap_units.astype(float).tolist()
        r = cap_units.size
        # pools: sum_p r_pS - sum_{j at A with S} v_j x_j <= 0
        pool_terms: dict[tuple[str, tuple[str, str]], list[int]] = {}
        for q, (k, sat) in enumerate(self.r_index):
            for st in demands[k][0].stations:
                pool_terms.setdefault((st, sat), []).append(q)
        for (st, sat), qs in sorted(pool_terms.items()):
            on_sat = np.fromiter((key == sat for key in prob.sat_of), bool, count=prob.n)
            js = np.flatnonzero((prob.key_st == st) & on_sat)
            rows.extend([r] * (len(qs) + js.size))
            cols.extend([self.ir + q for q in qs] + js.tolist())
            vals.extend([1.0] * len(qs) + (-v[js]).tolist())
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
        for k, (d, scale) in enumerate(demands):
            if d.is_pair:  # relays, and the pair's entangled links directly
                qs = [self.ir + q for q, (kk, _) in enumerate(self.r_index) if kk == k]
                es = prob.entangled_members(d)
                rows.extend([r] * (1 + len(qs) + es.size))
                cols.extend([self.iy + k, *qs, *es.tolist()])
                vals.extend([1.0] + [-1.0] * len(qs) + (-v[es]).tolist())
            else:
                js = np.flatnonzero(prob.key_st == d.stations[0])
                rows.extend([r] * (1 + js.size))
                cols.extend([self.iy + k, *js.tolist()])
                vals.extend([1.0, *(-v[js]).tolist()])
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
            if fair:  # D_d t - y_d <= 0, as (D_d / t_scale) t' - y_d <= 0
                rows.extend([r, r])
                cols.extend([self.it, self.iy + k])
                coef = scale / self.t_scale
                # a small coefficient (a demand far below the largest) would fall under HiGHS'
                # smallest matrix value (1e-9) and the row be dropped: divide the row by it
                vals.extend([scale / self.t_scale, -1.0] if coef >= 1.0 or self.t_scale == 1.0
                            else [1.0, -1.0 / coef])
                lo.append(-np.inf)
                hi.append(0.0)
                r += 1
        r = self._request_rows(r, rows, cols, vals, lo, hi)
        cap = csr_matrix((cap.data, cap.indices, cap.indptr), shape=(cap_units.size, self.nvar))
        rest = coo_matrix((vals, (np.asarray(rows, np.intp) - cap_units.size, cols)), shape=(r - cap_units.size, self.nvar))
        self.A = vstack([cap, rest.tocsr()], format="csr")
        self.lo = np.array(lo, float)
        self.hi = np.array(hi, float)
        self.lb = np.zeros(self.nvar)
        self.ub = np.full(self.nvar, np.inf)
        self.ub[:n] = prob.allowed.astype(float)
        self.lb[:n] = (prob.fixed & prob.allowed).astype(float)
        if not fair:
            for k, (_, scale) in enumerate(demands):
                self.ub[self.iy + k] = scale
        self.integrality = np.zeros(self.nvar)
        self.integrality[:n] = 1
        self.integrality[self.iz :] = 1
        self.ub[self.iz :] = prob.allowed[self.pj].astype(float)

    def _request_rows(self, r: int, rows: list[int], cols: list[int], vals: list[float], lo: list[float],
                      hi: list[float]) -> int:
        """Append the rows of the requests (module docstring) from row ``r``; the next row."""
        npair = self.pj.size
        if not npair:
            return r
        nreq = len(self.prob.requests)
        z = self.iz + np.arange(npair)
        # each request served at most once: sum_j z_jr <= 1
        rows.extend((r + self.pr).tolist())
        cols.extend(z.tolist())
        vals.extend([1.0] * npair)
        lo.extend([-np.inf] * nreq)
        hi.extend([1.0] * nreq)
        r += nreq
        # a link serves at most one request, and only when scheduled: sum_r z_jr - x_j <= 0
        links = np.unique(self.pj)
        row_of = np.searchsorted(links, self.pj)
        rows.extend((r + row_of).tolist() + (r + np.arange(links.size)).tolist())
        cols.extend(z.tolist() + links.tolist())
        vals.extend([1.0] * npair + [-1.0] * links.size)
        lo.extend([-np.inf] * links.size)
        hi.extend([0.0] * links.size)
        r += links.size
        # order: z_p - sum of the earlier pairs of the request it follows <= 0
        for p, earlier in self.prob.order_pairs(self.pj, self.pr):
            rows.extend([r] * (1 + earlier.size))
            cols.extend([self.iz + p, *(self.iz + earlier).tolist()])
            vals.extend([1.0] + [-1.0] * earlier.size)
            lo.append(-np.inf)
            hi.append(0.0)
            r += 1
        return r

    def assignment(self, sol: np.ndarray) -> dict[int, int]:
        """Which request each scheduled link serves: ``{candidate index: request index}``."""
        on = np.flatnonzero(sol[self.iz :] > 0.5)
        return {int(self.pj[p]): int(self.pr[p]) for p in on}

    def primary_c(self) -> np.ndarray:
        """The objective vector without its tie-break: only the primary term (minimised)."""
        prob = self.prob
        c = np.zeros(self.nvar)
        if prob.objective == "fair":
            c[self.it] = -1.0
        elif self.demands or prob.requests:
            c[self.iy : self.iy + len(self.demands)] = -np.array([d.priority for d, _ in self.demands])
            c[self.iz :] = -self.req_w[self.pr]
        else:
            c[: prob.n] = -prob.key_value
        return c

    def primary(self, sol: np.ndarray) -> float:
        """The objective's primary term at a solution vector."""
        prob = self.prob
        if prob.objective == "fair":
            return float(sol[self.it]) / self.t_scale
        if self.demands or prob.requests:
            w = np.array([d.priority for d, _ in self.demands])
            served = float(self.req_w[self.pr] @ np.round(sol[self.iz :])) if self.pj.size else 0.0
            return float(w @ sol[self.iy : self.iy + len(self.demands)]) + served
        return float(prob.key_value @ np.round(sol[: prob.n]))

    def unscale(self, objective: float) -> float:
        """A value of the solved objective (``t'`` for ``fair``) in the primary's own units."""
        return objective / self.t_scale if self.prob.objective == "fair" else objective

    def served(self, sol: np.ndarray) -> dict[str, float]:
        return {d.label: float(sol[self.iy + k]) for k, (d, _) in enumerate(self.demands)}

    def solve(
        self, time_limit_s: float | None, fixed_x: np.ndarray | None = None
    ) -> tuple[np.ndarray, SolverSummary]:
        """Solve the model (with ``fixed_x``: only the other variables, the links fixed). With
        requests, an optimal plan is followed by a second stage: the most key among the plans
        that keep its primary objective (module docstring)."""
        sol, summary = self._solve_once(time_limit_s, fixed_x)
        if self.prob.requests and fixed_x is None and summary.status == "optimal":
            sol, summary = self._key_stage(sol, summary, time_limit_s)
        return sol, summary

    def _key_stage(
        self, sol: np.ndarray, summary: SolverSummary, time_limit_s: float | None
    ) -> tuple[np.ndarray, SolverSummary]:
        """The most key (weighted) with the primary objective held at the plan's (to 1e-9 of it):
        the tie-break solved exactly, where a weight of 1e-6 in one objective can fall inside
        HiGHS' gap tolerances. Keeps ``sol`` when the stage is not solved to optimality."""
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csr_matrix

        held = summary.objective - 1e-9 * max(abs(summary.objective), 1.0)
        pc = self.primary_c()
        cons = [LinearConstraint(csr_matrix(pc[None, :]), -np.inf, -held)]
        if self.A.shape[0]:
            cons.insert(0, LinearConstraint(self.A, self.lo, self.hi))
        c = np.zeros(self.nvar)
        c[: self.prob.n] = -self.prob.key_value
        limit = max(KEY_STAGE_MIN_S, KEY_STAGE_FACTOR * summary.seconds)
        if time_limit_s is not None:
            limit = min(limit, float(time_limit_s))
        options: dict[str, float | bool] = {"disp": False, "mip_rel_gap": MIP_REL_GAP, "time_limit": limit}
        t0 = time.perf_counter()
        with _native_stdout_silenced():
            res = milp(c, constraints=cons, integrality=self.integrality, bounds=Bounds(self.lb, self.ub),
                       options=options)
        seconds = summary.seconds + time.perf_counter() - t0
        unproven = f"optimal; key tie-break best found in {limit:g} s (not proven)"
        if res.x is None:
            return sol, replace(summary, seconds=seconds, status=unproven if res.status == 1 else summary.status)
        out = np.asarray(res.x, float)
        ints = self.integrality > 0
        out[ints] = np.round(out[ints])
        key = self.prob.key_value
        if self.primary(out) < held or key @ out[: self.prob.n] < key @ sol[: self.prob.n]:
            out = sol  # HiGHS' incumbent must not lose primary objective or key to the first stage's
        nodes = getattr(res, "mip_node_count", None)
        return out, replace(summary, objective=self.primary(out), seconds=seconds,
                            status=summary.status if res.status == 0 else unproven,
                            nodes=None if summary.nodes is None or nodes is None else summary.nodes + int(nodes))

    def _solve_once(
        self, time_limit_s: float | None, fixed_x: np.ndarray | None = None
    ) -> tuple[np.ndarray, SolverSummary]:
        from scipy.optimize import Bounds, LinearConstraint, milp

        lb, ub = self.lb.copy(), self.ub.copy()
        integrality = self.integrality
        if fixed_x is not None:
            lb[: self.prob.n] = ub[: self.prob.n] = np.round(fixed_x)
            integrality = np.zeros(self.nvar)
            integrality[self.iz :] = 1  # the request assignment stays integral
        cons = [LinearConstraint(self.A, self.lo, self.hi)] if self.A.shape[0] else []
        t0 = time.perf_counter()
        if fixed_x is None and self.prob.n >= LP_FIRST_MIN_CANDIDATES:
            first = self.integral_relaxation(time_limit_s)
            if first is not None:
                sol, bound = first
                return sol, SolverSummary(
                    method="milp", status="optimal", objective=self.primary(sol), dual_bound=bound, gap=0.0, nodes=1,
                    seconds=time.perf_counter() - t0,
                )
            if time_limit_s is not None:  # the MILP gets what the LP left of the limit
                time_limit_s = max(time_limit_s - (time.perf_counter() - t0), 1e-3)
        options: dict[str, float | bool] = {"disp": False, "mip_rel_gap": MIP_REL_GAP}
        if time_limit_s is not None:
            options["time_limit"] = float(time_limit_s)
        with _native_stdout_silenced():
            res = milp(self.c, constraints=cons, integrality=integrality, bounds=Bounds(lb, ub), options=options)
        seconds = time.perf_counter() - t0
        status = _STATUS.get(int(res.status), "error")
        if res.x is None:
            # no feasible point within the limit: the empty schedule is always feasible
            sol = np.zeros(self.nvar)
            status = status if status != "optimal" else "error"
        else:
            sol = np.asarray(res.x, float)
            sol[: self.prob.n] = np.round(sol[: self.prob.n])
            sol[self.iz :] = np.round(sol[self.iz :])
        dual = getattr(res, "mip_dual_bound", None)
        gap = getattr(res, "mip_gap", None)
        nodes = getattr(res, "mip_node_count", None)
        summary = SolverSummary(
            method="milp",
            status=status,
            objective=self.primary(sol),
            dual_bound=None if dual is None or not np.isfinite(dual) else self.unscale(0.0 - float(dual)),  # 0 - d: never -0
            gap=None if gap is None or not np.isfinite(gap) else float(gap),
            nodes=None if nodes is None else int(nodes),
            seconds=seconds,
        )
        return sol, summary


    def relaxation(self, c: np.ndarray, time_limit_s: float | None = None) -> tuple[np.ndarray, float] | None:
        """The LP relaxation of the model (every ``x_j`` in [0, 1]) minimising ``c``: its
        solution and optimum, or None when HiGHS does not solve it (time limit, error)."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        cons = [LinearConstraint(self.A, self.lo, self.hi)] if self.A.shape[0] else []
        # without presolve: on these 0/1 interval rows HiGHS' LP presolve costs five times the
        # simplex it saves (2.0 s against 0.4 s on the 34,704 candidates of bench/bench_schedule.py)
        options: dict[str, float | bool] = {"disp": False, "presolve": False}
        if time_limit_s is not None:
            options["time_limit"] = float(time_limit_s)
        with _native_stdout_silenced():
            res = milp(c, constraints=cons, integrality=np.zeros(self.nvar), bounds=Bounds(self.lb, self.ub),
                       options=options)
        if res.status != 0 or res.x is None or res.fun is None:
            return None
        return np.asarray(res.x, float), float(res.fun)

    def integral_relaxation(self, time_limit_s: float | None = None) -> tuple[np.ndarray, float] | None:
        """The MILP's optimum from its LP relaxation when that is integral: an LP optimum whose
        ``x`` are all 0 or 1 (within :data:`INTEGRAL_TOL`) is feasible for the MILP and no MILP
        point beats the relaxation, so it is the MILP's optimum and the LP optimum its dual
        bound. Returns the solution (``x`` rounded) and the bound in the primary's units, or
        None when the relaxation is fractional (or not solved)."""
        got = self.relaxation(self.c, time_limit_s)
        if got is None:
            return None
        sol, fun = got
        ints = self.integrality > 0
        x = sol[ints]
        if not np.all(np.abs(x - np.round(x)) <= INTEGRAL_TOL):
            return None
        sol = sol.copy()
        sol[ints] = np.round(x)
        return sol, self.unscale(0.0 - fun)  # 0 - f: never -0


def solve_milp(prob: Problem, time_limit_s: float | None = None) -> MilpResult:
    """Solve ``prob`` exactly (or to the time limit): the selection, served demands, summary."""
    if time_limit_s is not None and not time_limit_s > 0:
        raise InputError(f"time limit {time_limit_s} s: give a positive number of seconds")
    model = _Model(prob)
    sol, summary = model.solve(time_limit_s)
    return MilpResult(sol[: prob.n] > 0.5, model.served(sol), summary, model.assignment(sol))


def integral_optimum(prob: Problem, time_limit_s: float | None = None) -> np.ndarray | None:
    """The MILP's optimal selection from one LP, its relaxation, when that is integral (the
    plan's objective with its tie-break; :meth:`_Model.integral_relaxation`); None when the
    relaxation is fractional or not solved."""
    got = _Model(prob).integral_relaxation(time_limit_s)
    return None if got is None else got[0][: prob.n] > 0.5


def relaxation_bound(prob: Problem) -> float | None:
    """An upper bound on the primary objective of ``prob``: its LP relaxation (every ``x_j`` in
    [0, 1], the tie-break left out, so the bound is on the objective the plans report). None if
    HiGHS does not solve the LP (it always should: the LP is feasible and bounded)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    model = _Model(prob)
    cons = [LinearConstraint(model.A, model.lo, model.hi)] if model.A.shape[0] else []
    with _native_stdout_silenced():
        res = milp(
            model.primary_c(), constraints=cons, integrality=np.zeros(model.nvar),
            bounds=Bounds(model.lb, model.ub), options={"disp": False},
        )
    if res.status != 0 or res.fun is None:
        return None
    return model.unscale(0.0 - float(res.fun))  # 0 - f: never -0


def evaluate(prob: Problem, x: np.ndarray) -> tuple[float, dict[str, float]]:
    """Primary objective and served demands of a fixed selection ``x`` (the best relay
    allocation for it), in the same units as :func:`solve_milp` reports."""
    x = np.asarray(x, bool)
    demands = prob.demand_scale()
    if not prob.requests and not any(d.is_pair for d, _ in demands):
        key = prob.station_key(x)
        got = {d.label: key[d.stations[0]] for d, _ in demands}
        if prob.objective == "fair":
            served = got
            obj = min((got[d.label] / s for d, s in demands), default=0.0)
        elif demands:
            served = {d.label: min(got[d.label], s) for d, s in demands}
            obj = float(sum(d.priority * served[d.label] for d, _ in demands))
        else:
            served = {}
            obj = float(prob.key_value[x].sum())
        return obj, served
    if not prob.n:  # requests over no candidates: nothing served (HiGHS refuses an empty model)
        return 0.0, {d.label: 0.0 for d, _ in demands}
    # pair demands: the best relay allocation is an LP with x fixed; requests: the best assignment
    # of the scheduled links to requests, a MILP over z alone
    model = _Model(prob)
    sol, summary = model.solve(None, fixed_x=x.astype(float))
    return summary.objective, model.served(sol)


def assign_requests(prob: Problem, x: np.ndarray, time_limit_s: float | None = None) -> tuple[float, dict[int, int]]:
    """The best assignment of the scheduled links ``x`` to ``prob``'s requests: the primary
    objective and ``{candidate index: request index}`` (a MILP over the assignment alone)."""
    model = _Model(prob)
    sol, summary = model.solve(time_limit_s, fixed_x=np.asarray(x, bool).astype(float))
    return summary.objective, model.assignment(sol)
