"""A schedule as a Gantt chart: one row per station, one bar per link coloured by satellite and
labelled with its expected key, hand-over links hatched, and the relay pairs' totals listed. An
entangled link (issue 19: one satellite's pair source to two stations at once) is a cross-hatched
bar at both of its stations, joined by a dashed line, its key (the pair's) labelled once."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from .common import figure_bytes, new_figure, place_label

__all__ = ["plot_schedule", "schedule_figure"]

#: Bar height in rows (each station a row of 1).
BAR_HEIGHT = 0.5


def _bits(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.2f} Mb"
    if v >= 1e3:
        return f"{v / 1e3:.0f} kb"
    return f"{v:.0f} b"


def _stations(c: Any) -> tuple[str, ...]:
    """The stations a link occupies: its own, and an entangled link's partner."""
    partner = getattr(c, "partner", None)
    return (c.station,) if partner is None else (c.station, partner)


def plot_schedule(plan: Any, fmt: str = "png", title: str | None = None) -> bytes:
    """The Gantt chart of a :class:`passplan.schedule.Plan` as ``fmt`` bytes (:func:`schedule_figure`)."""
    return figure_bytes(schedule_figure(plan, title), fmt)


def schedule_figure(plan: Any, title: str | None = None) -> Any:
    """The Gantt chart of a :class:`passplan.schedule.Plan` as a matplotlib Figure.

    Each link's key label goes above its bar, or where that would overprint another label,
    below it, then one line further out on either side, then at the bar's ends
    (:func:`passplan.plot.common.place_label`); a label with no free place is left off and the
    title says how many (the plan's JSON lists every link)."""
    from matplotlib import colormaps
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.patches import Patch

    links = list(plan.links)
    stations = sorted({s for c in links for s in _stations(c)} | set(plan.per_station))
    sats = sorted({c.satellite for c in links})
    colours = colormaps["tab10"]
    colour = {s: colours(k % 10) for k, s in enumerate(sats)}
    row = {s: k for k, s in enumerate(stations)}
    fig = new_figure(11, 2.0 + 1.0 * max(len(stations), 1))
    ax = fig.add_subplot(1, 1, 1)
    spans = []
    for c in links:
        x0, x1 = date2num(c.start.astimezone(UTC)), date2num(c.end.astimezone(UTC))
        spans.append((c, x0, x1))
        at = _stations(c)
        for st in at:  # an entangled link holds a telescope at both of its stations
            ax.barh(
                row[st], x1 - x0, left=x0, height=BAR_HEIGHT, color=colour[c.satellite],
                hatch="xxx" if len(at) > 1 else ("//" if c.handover else None), edgecolor="black", linewidth=0.5,
            )
        if len(at) > 1:
            ya, yb = sorted(row[st] for st in at)
            ax.plot([(x0 + x1) / 2] * 2, [ya + BAR_HEIGHT / 2, yb - BAR_HEIGHT / 2], color="black",
                    linestyle="--", linewidth=0.7)
    ax.set_yticks(range(len(stations)), [f"{s}\n{_bits(plan.per_station.get(s, 0.0))}" for s in stations], fontsize=8)
    ax.set_ylim(-0.8, len(stations) - 0.2)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d %H:%M"))
    ax.set_xlabel("time (UTC)")
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(facecolor=colour[s], edgecolor="black", label=s) for s in sats]
    if any(c.handover for c in links):
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="//", label="hand-over"))
    if any(len(_stations(c)) > 1 for c in links):
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="xxx", label="entangled (both stations)"))
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    s = plan.solver
    head = title or f"schedule ({plan.objective}): {_bits(sum(c.expected_key_bits for c in links))} expected key"
    sub = f"{s.method} {s.status}" + (f", gap {s.gap:.1e}" if s.gap is not None else "")
    if any(len(_stations(c)) > 1 for c in links):  # the MILP of one round of the re-valuation
        sub += "; entangled windows re-valued: a heuristic plan"
    pairs = ", ".join(f"{k} {_bits(v)}" for k, v in sorted(plan.per_pair.items()))
    heading = ax.set_title(f"{head}\n{sub}" + (f"\nrelay pairs: {pairs}" if pairs else ""), fontsize=9)
    fig.autofmt_xdate()
    fig.tight_layout()  # laid out first: the labels are placed on the final axes
    placed: list[Any] = []
    inside = ax.get_window_extent()
    left_off = 0
    half = BAR_HEIGHT / 2
    for c, x0, x1 in sorted(spans, key=lambda t: (t[1], row[t[0].station])):
        y, mid = row[c.station], (x0 + x1) / 2
        # above the bar (the y axis is inverted: smaller y is higher), below, then further out, then the ends
        spots = [
            ((mid, y - half), (0.0, 1.0), "center", "bottom"),
            ((mid, y + half), (0.0, -1.0), "center", "top"),
            ((mid, y - half), (0.0, 9.0), "center", "bottom"),
            ((mid, y + half), (0.0, -9.0), "center", "top"),
            ((x0, y - half), (0.0, 1.0), "right", "bottom"),
            ((x1, y - half), (0.0, 1.0), "left", "bottom"),
            ((x0, y + half), (0.0, -1.0), "right", "top"),
            ((x1, y + half), (0.0, -1.0), "left", "top"),
        ]
        if place_label(ax, _bits(c.expected_key_bits), spots, placed, inside=inside, fontsize=6) is None:
            left_off += 1
    if left_off:
        heading.set_text(heading.get_text() + f" ({left_off} key label(s) left off where they would overprint)")
    return fig
