"""The task half of the kernel's source: constraints, reward, references, observation, episode starts.

:class:`TaskWiring` writes the calls of the task's column functions (see
:mod:`gem.envs.kernel.wiring`, which adds the drive's loops). Names in the source: ``n{j}`` is
the normalised state ``j``, ``REF``/``RM`` the references and their rows, ``OBS`` the
observation, ``S`` the scratch rows (``nz`` the noise draws of loop 0, ``z`` the step's draws).
"""

from __future__ import annotations

from collections.abc import Iterable

from gem.envs.kernel.components import TaskComponents, is_composite
from gem.envs.kernel.layout import Constants
from gem.envs.task import ANGLE_FEATURES, DriveTask


def tup(items: Iterable[str]) -> str:
    """Source of a tuple of the expressions ``items`` (``()`` when empty)."""
    return "(" + "".join(f"{x}, " for x in items) + ")"


class Source:
    """Indented source builder."""

    def __init__(self, depth: int = 0) -> None:
        self.lines: list[str] = []
        self.depth = depth

    def __call__(self, line: str) -> None:
        """Appends ``line`` at the current depth."""
        self.lines.append("    " * self.depth + line)

    def extend(self, lines: list[str], absolute: bool = False) -> None:
        """Appends ``lines`` at the current depth (``absolute``: as they are)."""
        self.lines += lines if absolute else ["    " * self.depth + line if line else line for line in lines]

    def text(self) -> str:
        """The source text."""
        return "\n".join(self.lines) + "\n"


class TaskWiring:
    """Source of the task's part of the step (see the module docstring)."""

    def __init__(self, task: DriveTask, parts: TaskComponents, constants: Constants):
        self.task, self.parts, self.constants = task, parts, constants
        self.load_draws = int(task.drive.load.random)
        """Draws of the load per step (a random load is speed-prescribed, checked by TaskComponents)."""
        self.n_draws = self.load_draws + sum(g.step_draws for g in task.references)
        self.n_noise = len(task.observed) if task.noise is not None else 0
        self.two_segments = self.has_two_segments(task)

    @staticmethod
    def has_two_segments(task: DriveTask) -> bool:
        """A switching converter with interlocking: the period is integrated in two segments."""
        conv = task.drive.converter
        return bool(conv.finite and conv._interlocking)

    def action_check(self, src: Source) -> None:
        """First loop: every action valid (finite / in range) before any state changes."""
        topo = self.task.drive.converter.topology
        src("for i in range(A.shape[0]):")
        src.depth += 1
        if self.task.discrete_action:
            for k, table in enumerate(topo.tables):
                src(f"if A[i, {k}] < 0 or A[i, {k}] >= {len(table)}:")
                src("    return 0, 0, i")
        else:
            src("for k in range(A.shape[1]):")
            src("    if not np.isfinite(A[i, k]):")
            src("        return 0, 0, i")
        src.depth -= 1

    def outcome(self, src: Source, noise_row: int) -> None:
        """Constraints, reward, episode ends, last action and observed states of environment ``i``."""
        task, idx = self.task, self.task.drive.index
        src("viol = not fin")
        for k, c in enumerate(task.constraints):
            src(f"if c{k}_violated(CP{k}, {tup(f'n{idx[n]}' for n in c.names)}):")
            src("    viol = True")
        states = tup(f"n{idx[g.state]}" for g in task.references)
        refs = tup(f"REF[i, {r}]" for r in range(len(task.references)))
        src(f"REW[i] = r_reward(RWP, {states}, {refs}, viol)")
        src("STEPS[i] += 1")
        src("TRUNC[i] = max_steps > 0 and STEPS[i] >= max_steps")
        src("TERM[i] = viol")
        src("FIN[i] = fin")
        if task.last_action:
            if task.discrete_action:
                off = 0
                for k, table in enumerate(task.drive.converter.topology.tables):
                    for j in range(len(table)):
                        src(f"LAST[i, {off + j}] = one_hot(A[i, {k}], {j})")
                    off += len(table)
            else:
                for k in range(task.action_size):
                    src(f"LAST[i, {k}] = A[i, {k}]")
        if task.error_integral is not None:
            for r, g in enumerate(task.references):
                col = task.action_size + r
                src(f"LAST[i, {col}] = error_integral_step(LAST[i, {col}], REF[i, {r}], n{idx[g.state]}, "
                    f"{task.integral_gain!r})")
        self.observation(src, rest=False, noise_row=noise_row)

    def after(self, src: Source) -> None:
        """Loop 5 body (a step): references, the rest of the observation, autoreset of ``i``."""
        task = self.task
        z = self.load_draws          # the references' draws follow the load's in row "z"
        for r, g in enumerate(task.references):
            if is_composite(g):
                self._switched_step(src, r, g, z)
            else:
                rows = tup(f"RM[{r}, {j}, i]" for j in range(len(g.rows)))
                normals = tup(f"S[{z + j}, i]" for j in range(g.step_draws))
                src(f"rows = g{r}_advance(GP{r}, {rows}, {normals}, tau)")
                self._store_rows(src, r, range(len(g.rows)))
            z += g.step_draws
        self.observation(src, states=False)
        src("if not FIN[i]:")
        src("    n_bad_b += 1")
        src("if TERM[i] or TRUNC[i]:")
        src.depth += 1
        src("n_done_b += 1")
        src("if auto:       # keep the finished episode's last observation, state and references")
        src.depth += 1
        for k in range(task.observation_space().shape[0]):
            src(f"FOBS[i, {k}] = OBS[i, {k}]")
        for j in range(len(task.drive.state_names)):
            src(f"FPH[i, {j}] = PH[i, {j}]")
        for r in range(len(task.references)):
            src(f"FREF[i, {r}] = REF[i, {r}]")
        src("start = True")
        src.depth -= 2

    def episode_start(self, src: Source, kx: int) -> None:
        """Environment ``i`` starts an episode from the start state ``X0, W0, SW0, PH0``."""
        task, drive = self.task, self.task.drive
        for j in range(len(drive.state_names)):
            src(f"PH[i, {j}] = PH0[i, {j}]")
            src(f"n{j} = normalised(PH[i, {j}], LIM[i, {j}])")
        for j in range(kx):
            src(f"X[i, {j}] = X0[i, {j}]")
        src("W[i] = W0[i]")
        src("T[i] = 0.0")
        for leg in range(drive.converter.topology.n_legs):
            src(f"SW[i, {leg}] = SW0[i, {leg}]")
        src("STEPS[i] = 0")
        for k in range(task.memory_size):
            src(f"LAST[i, {k}] = 0.0")
        if task.action_delay:        # nothing given yet: the converter applies zero actions
            src("for s in range(delay):")
            for k in range(task.converter_action_size):
                src(f"    Q[i, s, {k}] = 0")
        pe = self.constants.per_env_names
        for k in range(len(task.randomized)):      # the parameters' draws come first, as in the NumPy reset
            src("z = gauss(KEY[i], CTR[i])")
            src("CTR[i] += np.uint64(1)")
            src(f"PE[{pe[f'R{k}']}][i] = d{k}_sample(DP{k}, z)")
        if task.randomized and "JR" in pe:
            src(f"PE[{pe['JT']}][i] = total_inertia(PE[{pe['JR']}][i], PE[{pe['JL']}][i])")
        for r, g in enumerate(task.references):     # the same uniforms in the same order as the NumPy reset
            if is_composite(g):
                src(f"RM[{r}, 1, i] = 0.0")
                self._switch(src, r, g)
            else:
                for d in range(g.start_draws):
                    self._draw(src, f"u{d}")
                src(f"rows = g{r}_start(GP{r}, {tup(f'u{d}' for d in range(g.start_draws))})")
                self._store_rows(src, r, range(len(g.rows)))
        self.observation(src)

    @staticmethod
    def _store_rows(src: Source, r: int, positions: range, value: bool = True) -> None:
        for j, row in enumerate(positions):
            src(f"RM[{r}, {row}, i] = rows[{j}]")
        if value:
            src(f"REF[i, {r}] = rows[0]")

    @staticmethod
    def _draw(src: Source, name: str) -> None:
        src(f"{name} = uniform(gauss(KEY[i], CTR[i]))")
        src("CTR[i] += np.uint64(1)")

    def _switch(self, src: Source, r: int, g) -> None:
        """Switched reference ``r`` picks a sub-generator and restarts it, drawing as the NumPy step does."""
        self._draw(src, "u0")
        self._draw(src, "u1")
        src(f"RM[{r}, 2, i], RM[{r}, 3, i] = g{r}_choose(GP{r}, u0, u1, RM[{r}, 1, i])")
        for k, sub in enumerate(g.generators):
            src(("if" if k == 0 else "elif") + f" RM[{r}, 2, i] == {float(k)}:")
            src.depth += 1
            for d in range(sub.start_draws):
                self._draw(src, f"u{d}")
            src(f"rows = g{r}s{k}_start(GP{r}s{k}, {tup(f'u{d}' for d in range(sub.start_draws))})")
            self._store_rows(src, r, g.sub_rows(k), value=False)
            src(f"RM[{r}, 0, i] = rows[0]")
            src.depth -= 1
        src(f"REF[i, {r}] = RM[{r}, 0, i]")

    def _switched_step(self, src: Source, r: int, g, z: int) -> None:
        """A step of switched reference ``r``: where due, switch (after all step draws), else advance the active one."""
        src(f"RM[{r}, 1, i] = elapsed(RM[{r}, 1, i], tau)")
        src(f"if g{r}_due(GP{r}, RM[{r}, 1, i], RM[{r}, 3, i]):")
        src.depth += 1
        self._switch(src, r, g)
        src.depth -= 1
        off = z
        for k, sub in enumerate(g.generators):
            src(f"elif RM[{r}, 2, i] == {float(k)}:")
            src.depth += 1
            rows = tup(f"RM[{r}, {j}, i]" for j in g.sub_rows(k))
            src(f"rows = g{r}s{k}_advance(GP{r}s{k}, {rows}, {tup(f'S[{off + j}, i]' for j in range(sub.step_draws))}, "
                "tau)")
            self._store_rows(src, r, g.sub_rows(k), value=False)
            src(f"RM[{r}, 0, i] = rows[0]")
            src.depth -= 1
            off += sub.step_draws
        src(f"RM[{r}, 0, i] = g{r}_value(GP{r}, RM[{r}, 0, i])")
        src(f"REF[i, {r}] = RM[{r}, 0, i]")

    def observation(self, src: Source, states: bool = True, rest: bool = True, noise_row: int | None = None) -> None:
        """Observation of environment ``i``.

        ``states``: the observed states, from the normalised ``n{j}``; ``rest``: the references and the
        last action. ``noise_row``: first row of ``S`` holding the noise draws of loop 0 (else drawn here).
        """
        task, idx = self.task, self.task.drive.index
        if states:
            angle = {name: fn.__name__ for name, fn in ANGLE_FEATURES.items()}
            for k, name in enumerate(task.observed):
                o = f"{angle[name]}(n{idx['epsilon']})" if name in angle else f"n{idx[name]}"
                if task.noise is None:
                    src(f"OBS[i, {k}] = observed_value({o}, 0.0, 0.0)")
                elif noise_row is not None:
                    src(f"OBS[i, {k}] = observed_value({o}, S[{noise_row + k}, i], NS[{k}])")
                else:
                    src(f"OBS[i, {k}] = observed_value({o}, gauss(NKEY[i], NCTR[i]), NS[{k}])")
                    src("NCTR[i] += np.uint64(1)")
        if rest:
            n_obs = len(task.observed)
            for r in range(len(task.references)):
                src(f"OBS[i, {n_obs + r}] = REF[i, {r}]")
            k0 = n_obs + len(task.references)
            if task.last_action:
                for k in range(task.action_size):
                    src(f"OBS[i, {k0 + k}] = LAST[i, {k}]")
                k0 += task.action_size
            if task.error_integral is not None:
                for r in range(len(task.references)):
                    src(f"OBS[i, {k0 + r}] = LAST[i, {task.action_size + r}]")
