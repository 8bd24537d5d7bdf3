"""The kernel's source: loops and calls of the components' column functions, no arithmetic of its own.

:class:`Wiring` writes the step of one task structure as Python source for numba. The source only
wires: it reads arrays, calls the column functions collected by
:class:`~gem.envs.kernel.components.TaskComponents` (motor, load, converter legs and terminals,
solver stages, constraints, reward, references, observation) and stores their results. Every
piece of physics and task arithmetic is one of those functions, which the NumPy step calls on
arrays. What the source decides is structure: how many legs, states, references and observed
states there are, which rows of the scratch arrays hold what, and which loop runs what.

Per block of environments the kernel runs up to six loops (:mod:`gem.envs.kernel`):

0. ``draws``: the random draws every step takes (load, references, observation noise);
1. converter: actions → terminal voltages of each integration segment (vectorised kernels of
   continuous converters: ``gather`` copies the environments' state, speed and action into rows,
   then ``convert`` runs over the rows; otherwise per environment inside ``kernel``);
2. ``integrate``: the solver's stages over the period (the Butcher tableau unrolled);
3. ``physical``: currents, voltages, torque of the new state (the motor's methods);
4. ``outcome``: normalisation, constraints, reward, episode ends, observed states;
5. references, the rest of the observation, autoreset (per environment: branches; episode
   starts draw directly from the streams).
"""

from __future__ import annotations

import numpy as np

from gem.envs.kernel.components import TaskComponents
from gem.envs.kernel.layout import Constants, Rows, pad_tables
from gem.envs.kernel.wiring_ode import deriv_source, terminal_currents_source
from gem.envs.kernel.wiring_task import Source, TaskWiring, tup
from gem.envs.task import DriveTask

LOOPS = ("deriv", "draws", "gather", "convert", "integrate", "physical", "outcome")
"""The generated helper functions compiled separately from ``kernel``."""

KERNEL_ARGS = ("X, W, T, SW, PH, A, LIM, USUP, REF, RM, LAST, STEPS, KEY, CTR, NKEY, NCTR, OBS, REW, TERM, "
               "TRUNC, FIN, X0, W0, SW0, PH0, FOBS, FPH, FREF, CF, CI, PE, MASK, S, SX0, SX1, SPH, Q, QH, mode")


class Wiring(TaskWiring):
    """Writes the kernel source of a task (see the module docstring).

    Args:
        task: The task.
        parts: Its components' column functions and parameter tuples.
        constants: The kernel's constants (their names are read in the source).
    """

    def __init__(self, task: DriveTask, parts: TaskComponents, constants: Constants):
        super().__init__(task, parts, constants)
        drive = task.drive
        self.km = len(drive.motor.ode_names)
        self.ks = drive.n_supply
        self.mo = drive.motor_columns.start
        """Column of the motor's first state in ``X`` (after ``omega`` of a dynamic load)."""
        self.sc = drive.supply_column
        """Column of the supply's first state (``u_sup``) in ``X``, if the supply has states."""
        self.kx = self.mo + self.km + self.ks
        self.rows = Rows()
        self.rows("z", self.n_draws)
        self.rows("nz", self.n_noise)

    def source(self, vector: bool) -> str:
        """The kernel source; ``vector``: loops 0, 2, 3 (1 too for continuous converters) written to vectorise."""
        index = "i = np.uint64(lo + ii)" if vector else "i = lo + ii"
        src = Source()
        deriv_source(src, self.task.drive, "m_terminal_currents" in self.parts.functions)
        # loop 1 first: it allocates the voltage rows. Vectorised (continuous converters): a scalar
        # loop gathers the environments' (num_envs, k) arrays into scratch rows, then the converter
        # runs over the rows; else it is the body of a per-environment loop inside ``kernel``.
        soa = vector and not self.task.drive.converter.finite
        converter = Source(depth=4)
        bodies: dict[str, Source] = {}
        calls: dict[str, str] = {}
        if soa:
            bodies["gather"] = self._loop("i = lo + ii", self._gather)
            bodies["convert"] = self._loop(index, lambda body: self._converter(body, soa=True), ("MP", "LP"))
            calls["gather"] = "gather(lo, hi, X, W, A, LIM, S, SX0, SX1)"
            calls["convert"] = f"convert(lo, hi, S, SX0, USUP, T, CF, CI, PE, Q, QH, {self._block_args(('MP', 'LP'))})"
        else:
            self._converter(converter)
        bodies.update({"integrate": self._integration(index), "physical": self._loop(index, self._physical, ("MP",)),
                       "outcome": self._loop(index, self._outcome)})
        constraint_params = "".join(f"CP{k}, " for k in range(len(self.task.constraints)))
        calls.update({
            "integrate": f"integrate(lo, hi, S, SX1, CF, CI, PE, {self._block_args(self._integration_params)})",
            "physical": f"physical(lo, hi, S, SX0, SX1, SPH, USUP, CF, CI, PE, {self._block_args(('MP',))})",
            "outcome": "outcome(lo, hi, X, W, T, PH, LIM, REF, LAST, A, STEPS, OBS, REW, TERM, TRUNC, FIN, "
                       f"S, SX1, SPH, CF, CI, RWP, {constraint_params})"})
        if self.n_draws or self.n_noise:
            bodies = {"draws": self._draws(index), **bodies}
            calls = {"draws": "draws(lo, hi, KEY, CTR, NKEY, NCTR, S)", **calls}
        for name, body in bodies.items():
            src(f"def {calls[name]}:")
            src.depth += 1
            src.extend(self.constants.names(used=body.text()))
            src.extend(body.lines)
            src.depth -= 1
            src("")
        self._kernel(src, converter, calls)
        return src.text()

    # ------------------------------------------------------------------ kernel skeleton
    def _kernel(self, src: Source, converter: Source, calls: dict[str, str]) -> None:  # noqa: C901
        src(f"def kernel({KERNEL_ARGS}):")
        src.depth += 1
        src.extend(self.constants.names())
        src("if mode == 0:")
        src.depth += 1
        self.action_check(src)
        src.depth -= 1
        src("n_done = 0")
        src("n_bad = 0")
        src("n = X.shape[0]")
        src("for b in prange((n + block - 1) // block):")
        src.depth += 1
        src("lo = b * block")
        src("hi = min(lo + block, n)")
        # built per block (parallel lowering cannot pass named tuples into the loop), or per
        # environment where a parameter varies between environments
        for name in self.constants.params:
            if not self.constants.varies(name):
                src(f"{name} = {self.constants.unpack_params(name)}")
        src("if mode == 0:")
        src.depth += 1
        if "draws" in calls:
            src(f"{calls['draws']}    # 0. the step's random draws")
        if "convert" in calls:
            src(f"{calls['gather']}    # 1. converter: the environments' arrays into rows,")
            src(f"{calls['convert']}    #    then actions -> voltages")
        else:
            src("for ii in range(hi - lo):    # 1. converter: actions -> voltages (per environment)")
            src("    i = lo + ii")
            src.depth += 1
            src.extend(self._env_params(("MP", "LP")))
            src.depth -= 1
            src.extend(converter.lines, absolute=True)
        for what, name in (("2. solver", "integrate"), ("3. physical state", "physical"),
                           ("4. reward, constraints, observed states", "outcome")):
            src(f"{calls[name]}    # {what}")
        src.depth -= 1
        src("n_done_b = 0")
        src("n_bad_b = 0")
        src("for ii in range(hi - lo):    # 5. references, episode ends and starts (per environment)")
        src.depth += 1
        src("i = lo + ii")
        src("start = False")
        src("if mode == 1:    # explicit reset of the environments in MASK")
        src("    start = MASK[i]")
        src("else:            # a step")
        src.depth += 1
        self.after(src)
        src.depth -= 1
        src("if start:        # one copy of the episode start, for autoreset and reset")
        src.depth += 1
        self.episode_start(src, self.kx)
        src.depth -= 2
        src("n_done += n_done_b")
        src("n_bad += n_bad_b")
        src.depth -= 1
        if self.task.action_delay:
            src("if mode == 0:    # the ring of delayed actions moves on")
            src("    QH[0] = (QH[0] + 1) % delay")
        src("return n_done, n_bad, -1")

    def _loop(self, index: str, emit, params: tuple[str, ...] = ()) -> Source:
        body = Source()
        body("for ii in range(hi - lo):")
        body.depth += 1
        body(index)
        body.extend(self._env_params(params))
        emit(body)
        return body

    @property
    def _integration_params(self) -> tuple[str, ...]:
        """The parameter tuples the solver's loop reads: motor, load and (with states) supply."""
        return ("MP", "LP", "SP") if self.ks else ("MP", "LP")

    def _block_args(self, names: tuple[str, ...]) -> str:
        """The parameter tuples among ``names`` that are the same for every environment (passed per block)."""
        return "".join(f"{n}, " for n in names if not self.constants.varies(n))

    def _env_params(self, names: tuple[str, ...], inertia: bool = False) -> list[str]:
        """Lines building the parameter tuples among ``names`` that vary per environment (and ``JT``)."""
        lines = [f"{n} = {self.constants.unpack_params(n)}" for n in names if self.constants.varies(n)]
        if inertia and "JT" in self.constants.per_env_names:
            lines.append(f"JT = PE[{self.constants.per_env_names['JT']}][i]")
        return lines

    # ------------------------------------------------------------------ physics
    def _gathered(self) -> dict[str, tuple[int, list[str]]]:
        """What :meth:`_gather` copies into rows of ``S``: name → (first row, source expressions)."""
        out = {"w0": ["W[i]"], "act": [f"A[i, {k}]" for k in range(self.task.action_space.shape[0])]}
        return {name: (self.rows(name, len(exprs)), exprs) for name, exprs in out.items()}

    def _gather(self, src: Source) -> None:
        """Loop 1a body: environment ``i``'s state, speed and action into scratch rows."""
        for j in range(self.kx):
            src(f"x = X[i, {j}]")
            src(f"SX0[{j}, i] = x")
            src(f"SX1[{j}, i] = x")
        for row, exprs in self._gathered().values():
            for k, e in enumerate(exprs):
                src(f"S[{row + k}, i] = {e}")

    def _converter(self, src: Source, soa: bool = False) -> None:  # noqa: C901 - one straight-line generator
        """Loop 1 body: the converter's terminal voltages of environment ``i`` per segment, into ``S``.

        ``soa``: read the state, speed and action from the rows :meth:`_gather` filled (and call the
        inlined ``v_`` copies of the functions, so that the loop vectorises).
        """
        drive, task = self.task.drive, self.task
        conv = drive.converter
        topo = conv.topology
        n_out, n_legs = topo.n_out, topo.n_legs
        xs = [f"x{j}" for j in range(self.kx)]
        fn = "v_" if soa else ""
        if not self.ks:
            src("u_sup = USUP[i]")
        if soa:
            rows = {name: (row, len(exprs)) for name, (row, exprs) in self._gathered().items()}
            src(f"w0 = S[{rows['w0'][0]}, i]")
            for j, name in enumerate(xs):
                src(f"{name} = SX0[{j}, i]")
            act = [f"S[{rows['act'][0] + k}, i]" for k in range(rows["act"][1])]
        else:
            src("w0 = W[i]")
            for j, name in enumerate(xs):
                src(f"{name} = X[i, {j}]")
            n_act = len(topo.tables) if task.discrete_action else task.action_space.shape[0]
            act = [f"A[i, {k}]" for k in range(n_act)]
        xm = xs[self.mo:self.mo + self.km]
        if self.ks:                     # the link voltage at the period start, held through the period
            src(f"u_sup = {xs[self.sc]}")
            src(f"S[{self.rows('t0')}, i] = T[i]")
        src(f"xm0 = {tup(xm)}")
        own = "m_terminal_currents" in self.parts.functions
        src(f"ito = {terminal_currents_source(own, 'v_' if soa else 'm_', 'xm0', xm[:n_out])}")
        if task.action_frame == "dq":         # the motor's rotor-frame voltages -> converter actions
            src(f"act = {'v_' if soa else 'm_'}dq_action(MP, {tup(act)}, xm0, w0, advance, u_sup)")
        else:
            src(f"act = {tup(act)}")
        if task.action_delay:       # apply the action given `delay` steps ago; this one waits in its place
            n_q = task.converter_action_size
            src("h = QH[0]")
            src(f"queued = {tup(f'Q[i, h, {k}]' for k in range(n_q))}")
            for k in range(n_q):
                src(f"Q[i, h, {k}] = act[{k}]")
            src("act = queued")
        for leg in range(n_legs):
            src(f"il{leg} = {fn}cv_dot(CMT[{leg}], ito)")
        if not conv.finite:
            for leg in range(n_legs):
                k = int(topo.leg_action[leg])
                src(f"d{leg} = {fn}cv_duty(act[{k}], CLOW[{k}], CHIGH[{k}], CGAIN[{leg}], CBIAS[{leg}])")
                src(f"v{leg} = {fn}cv_leg(d{leg}, il{leg}, CFULL[{leg}], share)")   # t_il / tau
                self._store_share(src, 0, leg, f"v{leg}")
                if conv.has_drops:
                    src(f"v{leg} = {fn}cv_drop(v{leg}, il{leg}, CVS, CVD, u_sup)")
            segments = [tup(f"v{leg}" for leg in range(n_legs))]
        else:
            col = 0
            for k, table in enumerate(topo.tables):
                for j in range(table.shape[1]):
                    src(f"s{col} = TAB[{k}, act[{k}], {j}]")
                    col += 1
            for leg in range(n_legs):
                src(f"e{leg}, c{leg} = cv_leg(s{leg}, SW[i, {leg}], il{leg}, CFULL[{leg}], interlock)")
                if self.two_segments:
                    self._store_share(src, 0, leg, f"e{leg}")
                self._store_share(src, 1 if self.two_segments else 0, leg, f"c{leg}")
                if conv.has_drops:
                    src(f"e{leg} = cv_drop(e{leg}, il{leg}, CVS, CVD, u_sup)")
                    src(f"c{leg} = cv_drop(c{leg}, il{leg}, CVS, CVD, u_sup)")
                src(f"SW[i, {leg}] = s{leg}")
            on = tup(f"c{leg}" for leg in range(n_legs))
            segments = [tup(f"e{leg}" for leg in range(n_legs)), on] if self.two_segments else [on]
        for g, legs in enumerate(segments):
            src(f"legs{g} = {legs}")
            row = self.rows(f"u{g}", n_out)
            for o in range(n_out):
                src(f"u{g}_{o} = {fn}cv_terminal(u_sup, CM[{o}], CO[{o}], legs{g})")
                src(f"S[{row + o}, i] = u{g}_{o}")
        r_um = self.rows("um", n_out)
        for o in range(n_out):
            src(f"S[{r_um + o}, i] = " + (f"cv_mean(u0_{o}, u1_{o}, share)" if len(segments) == 2 else f"u0_{o}"))
        z = f"S[{self.rows.first['z']}, i]" if self.load_draws else "0.0"
        if drive.load.prescribed:
            src(f"w1 = {fn}l_speed(LP, T[i] + tau, w0, tau, {z})")
        else:
            src("w1 = w0")
        src(f"S[{self.rows('w0')}, i] = w0")
        src(f"S[{self.rows('w1')}, i] = w1")
        if not soa:
            for j, x in enumerate(xs):
                src(f"SX0[{j}, i] = {x}")
                src(f"SX1[{j}, i] = {x}")

    def _store_share(self, src: Source, segment: int, leg: int, value: str) -> None:
        """With a supply with states: leg ``leg``'s share of segment ``segment`` on the + rail into ``S``."""
        if self.ks:
            row = self.rows(f"vl{segment}", self.task.drive.converter.topology.n_legs)
            src(f"S[{row + leg}, i] = {value}")

    def _draws(self, index: str) -> Source:
        """Loop 0: the draws every step takes, into rows ``z`` and ``nz`` of ``S``.

        ``n_draws`` of the main stream (load, then references) and ``n_noise`` of the observation
        noise, in a separate loop so that it vectorises. The episode starts of loop 5 draw after
        these, directly from the streams.
        """
        src = Source()
        src("for ii in range(hi - lo):")
        src.depth += 1
        src(index)
        for key, ctr, n, row in (("KEY", "CTR", self.n_draws, "z"), ("NKEY", "NCTR", self.n_noise, "nz")):
            if n:
                src(f"c = {ctr}[i]")
                for j in range(n):
                    c = f"c + np.uint64({j})" if j else "c"
                    src(f"S[{self.rows.first[row] + j}, i] = v_gauss({key}[i], {c})")
                src(f"{ctr}[i] = c + np.uint64({n})")
        return src

    def _integration(self, index: str) -> Source:
        """Loop 2: the solver over the block, one segment and sub-step at a time (tableau unrolled)."""
        src = Source()
        n_out = self.task.drive.converter.topology.n_out
        rw0, rw1 = self.rows("w0"), self.rows("w1")
        xs = [f"x{j}" for j in range(self.kx)]
        tableau = self.parts.tableau
        for g in range(2 if self.two_segments else 1):
            row = self.rows.first[f"u{g}"]
            src("for k in range(substeps):")
            src.depth += 1
            src(f"s, h = substep(SEGS[{g}], SEGD[{g}], substeps, k)")
            src("for ii in range(hi - lo):")
            src.depth += 1
            src(index)
            src.extend(self._env_params(self._integration_params, inertia=True))
            src(f"w0 = S[{rw0}, i]")
            src(f"w1 = S[{rw1}, i]")
            src(f"us = {tup(f'S[{row + o}, i]' for o in range(n_out))}")
            extra = ""
            if self.ks:
                n_legs = self.task.drive.converter.topology.n_legs
                r_vl = self.rows.first[f"vl{g}"]
                src(f"vl = {tup(f'S[{r_vl + j}, i]' for j in range(n_legs))}")
                src(f"t0 = S[{self.rows.first['t0']}, i]")
                extra = "vl, t0, CMT, "
            for j, x in enumerate(xs):
                src(f"{x} = SX1[{j}, i]")
            for stage, (c, a) in enumerate(tableau.stages):
                weights = tup(repr(w) for _, w in a)
                ys = [f"combine({x}, h, {weights}, {tup(f'k{m}[{j}]' for m, _ in a)})" if a else x
                      for j, x in enumerate(xs)]
                tail = "MP, LP, JT, SP" if self.ks else "MP, LP, JT"
                src(f"k{stage} = deriv(combine(s, h, ({c!r},), (1.0,)), {tup(ys)}, us, {extra}w0, w1, tau, {tail})")
            weights = tup(repr(w) for _, w in tableau.weights)
            for j, x in enumerate(xs):
                src(f"SX1[{j}, i] = combine({x}, h, {weights}, {tup(f'k{m}[{j}]' for m, _ in tableau.weights)})")
            src.depth -= 2
        return src

    def _physical(self, src: Source) -> None:
        """Loop 3 body: the drive's physical state of environment ``i`` (SI units), into ``SPH``."""
        drive = self.task.drive
        motor, km, mo = drive.motor, self.km, self.mo
        n_out = drive.converter.topology.n_out
        f = self.parts.functions
        if motor.has_angle:
            src(f"SX1[{mo + km - 1}, i] = wrap_angle(SX1[{mo + km - 1}, i])")
        src(f"xm0 = {tup(f'SX0[{j}, i]' for j in range(mo, mo + km))}")
        src(f"xm1 = {tup(f'SX1[{j}, i]' for j in range(mo, mo + km))}")
        r_um = self.rows("um")
        src(f"um = {tup(f'S[{r_um + o}, i]' for o in range(n_out))}")
        w_end = "SX1[0, i]" if not drive.load.prescribed else f"S[{self.rows('w1')}, i]"
        src("cur = " + ("v_currents(MP, xm1)" if "m_currents" in f else
                        tup(f"xm1[{j}]" for j in range(len(motor.current_names)))))
        src("vol = " + ("v_voltages(MP, um, xm0, xm1, tau)" if "m_voltages" in f else "um"))
        parts = [w_end, "v_torque(MP, xm1)"] + [f"cur[{j}]" for j in range(len(motor.current_names))] + \
            [f"vol[{j}]" for j in range(len(motor.voltage_names))]
        if motor.has_angle:
            parts.append(f"xm1[{km - 1}]")
        parts.append(f"SX1[{self.sc}, i]" if self.ks else "USUP[i]")
        if motor.extra_names:
            src("ext = v_extras(MP, xm1)")
            parts += [f"ext[{j}]" for j in range(len(motor.extra_names))]
        parts += [f"xm1[{motor.ode_names.index(n)}]" for n in motor.ode_extra_names]
        assert len(parts) == len(drive.state_names)
        for j, p in enumerate(parts):
            src(f"SPH[{j}, i] = {p}")

    def _outcome(self, src: Source) -> None:
        """Loop 4 body: state, constraints, reward, episode ends, observed states of environment ``i``."""
        for j in range(self.kx):
            src(f"X[i, {j}] = SX1[{j}, i]")
        src("W[i] = SPH[0, i]")
        src("T[i] = T[i] + tau")
        src("fin = True")
        for j in range(len(self.task.drive.state_names)):
            src(f"PH[i, {j}] = SPH[{j}, i]")
            src(f"n{j} = normalised(PH[i, {j}], LIM[i, {j}])")
            src(f"if not np.isfinite(n{j}):")
            src("    fin = False")
        self.outcome(src, noise_row=self.rows.first["nz"])


def constants(task: DriveTask, parts: TaskComponents, num_envs: int, max_steps: int, autoreset: bool,
              noise_scale: np.ndarray | None, block: int) -> Constants:
    """The numbers the kernel reads, packed (see :class:`~gem.envs.kernel.layout.Constants`)."""
    drive = task.drive
    topo, conv = drive.converter.topology, drive.converter
    t_il = float(np.max(conv.interlocking_time))
    two = TaskWiring.has_two_segments(task)
    per_env = {"JT": drive.j_total} if np.ndim(drive.j_total) else {}
    if per_env and task.randomized:         # the episode starts recompute the total inertia
        per_env.update(JR=drive.motor.j_rotor, JL=drive.load.j_load)
    inertia = {} if per_env else {"JT": float(drive.j_total)}
    per_env.update(parts.randomized)
    return Constants(dict(
        tau=float(drive.tau), **inertia, delay=int(task.action_delay),
        advance=(task.action_delay + 0.5) * float(drive.tau), substeps=int(drive.substeps), max_steps=int(max_steps),
        auto=int(autoreset), block=int(block),
        CM=topo.matrix, CMT=np.ascontiguousarray(topo.matrix.T), CO=topo.offset, CGAIN=topo.duty_gain,
        CBIAS=topo.duty_bias, CLOW=topo.action_low, CHIGH=topo.action_high,
        CFULL=topo.full_leg.astype(np.int64), TAB=pad_tables(topo.tables),
        share=t_il / float(drive.tau), interlock=int(conv._interlocking),
        CVS=float(conv.switch_drop), CVD=float(conv.diode_drop),
        SEGD=np.array([t_il, drive.tau - t_il] if two else [drive.tau], float),
        SEGS=np.array([0.0, 0.0 + t_il] if two else [0.0], float),
        NS=noise_scale if noise_scale is not None else np.zeros(1),
    ), parts.params, per_env)
