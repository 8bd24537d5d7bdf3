"""The ODE right-hand side the solver's stages call: motor, load and (with states) supply, as the drive couples them.

:func:`deriv_source` writes the kernel's ``deriv``; it calls the components' column functions
only (``m_derivative``, ``m_torque``, ``l_torque``, ``speed_derivative``, ``interpolated_speed``,
``cv_dot``, ``s_derivative``), in the column order of the drive's ODE state
(:class:`~gem.physical_systems.drive_system.DriveSystem`): ``[omega]``, the motor's states, the
supply's. A supply with states takes the converter's supply current at every stage,
``Σ vl · i_leg + Σ offset · i_out`` with ``vl`` the legs' shares of the segment on the + rail,
``i_leg = CMT · i_out`` from the stage's motor state and the topology's output offsets, and the
time ``t0 + s`` since the episode start.
"""

from __future__ import annotations

from gem.envs.kernel.wiring_task import Source, tup
from gem.physical_systems.drive_system import DriveSystem


def terminal_currents_source(motor_overrides: bool, prefix: str, xm: str, names: list[str]) -> str:
    """Expression of the motor's terminal currents for its state tuple ``xm``.

    Args:
        motor_overrides: The motor has its own ``terminal_currents`` (else they are its first states).
        prefix: ``"m_"`` or ``"v_"`` (the inlined copy of the vectorised loops).
        xm: Name of the motor's state tuple in the source.
        names: Source names of the motor's first ``n_out`` states.
    """
    return f"{prefix}terminal_currents(MP, {xm})" if motor_overrides else tup(names)


def deriv_source(src: Source, drive: DriveSystem, motor_terminal_currents: bool) -> None:
    """Writes ``deriv(s, xs, us, [vl, t0, CMT,] w0, w1, tau, MP, LP, JT[, SP])``: the slopes of the ODE state ``xs``.

    Args:
        src: The kernel source.
        drive: The drive (its load, motor, converter and supply decide the structure).
        motor_terminal_currents: The motor has its own ``terminal_currents`` column method.
    """
    km, ks = len(drive.motor.ode_names), drive.n_supply
    mo, sc = drive.motor_columns.start, drive.supply_column
    extra, tail = ("vl, t0, CMT, ", ", SP") if ks else ("", "")
    src(f"def deriv(s, xs, us, {extra}w0, w1, tau, MP, LP, JT{tail}):")
    src.depth += 1
    if drive.load.prescribed and not ks:
        src("return m_derivative(MP, xs, us, interpolated_speed(w0, w1, s, tau))")
    else:
        src(f"xm = {tup(f'xs[{j}]' for j in range(mo, mo + km))}")
        head = []
        if drive.load.prescribed:
            src("dm = m_derivative(MP, xm, us, interpolated_speed(w0, w1, s, tau))")
        else:
            src("dm = m_derivative(MP, xm, us, xs[0])")
            src("dom = speed_derivative(m_torque(MP, xm), l_torque(LP, xs[0], JT), JT)")
            head = ["dom"]
        out = head + [f"dm[{j}]" for j in range(km)]
        if ks:
            n_out, n_legs = drive.converter.topology.n_out, drive.converter.topology.n_legs
            names = [f"xm[{j}]" for j in range(n_out)]
            src(f"ito = {terminal_currents_source(motor_terminal_currents, 'm_', 'xm', names)}")
            src(f"il = {tup(f'cv_dot(CMT[{j}], ito)' for j in range(n_legs))}")
            offset = drive.converter.topology.offset     # outputs tied to a rail (the asymmetric half bridge's -1)
            i_sup = "cv_dot(vl, il)" + "".join(f" + {float(o)!r} * ito[{k}]" for k, o in enumerate(offset) if o != 0.0)
            src(f"ds = s_derivative(SP, {tup(f'xs[{j}]' for j in range(sc, sc + ks))}, {i_sup}, t0 + s)")
            out += [f"ds[{j}]" for j in range(ks)]
        src(f"return {tup(out)}")
    src.depth -= 1
    src("")
