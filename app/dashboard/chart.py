"""Geometry of the overview's spend chart, rendered as inline SVG by the template.

Daily spend is drawn as bars, the running total across the window as a line, and the cap
as a horizontal rule, all on one dollar scale. Amounts stay integers (micro-dollars) until
they become pixel coordinates.
"""
from dataclasses import dataclass, field

from app.services.money import MICRO, format_micro

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 30
TICKS = 4


@dataclass
class SpendChart:
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    bars: list = field(default_factory=list)
    line_points: str = ""
    cap_y: float = None
    cap_label: str = ""
    y_ticks: list = field(default_factory=list)
    x_labels: list = field(default_factory=list)
    description: str = ""


def _nice_ceiling(micro):
    """A round top for the y axis at or above `micro` (1, 2 or 5 times a power of ten dollars)."""
    if micro <= 0:
        return MICRO
    step = 10_000  # one cent
    while True:
        for factor in (1, 2, 5):
            if step * factor >= micro:
                return step * factor
        step *= 10


def build_spend_chart(days, cap_micro_usd):
    """Bars for each day's spend, a running-total line and the cap line, scaled to fit both."""
    chart = SpendChart()
    total = days[-1].cumulative_micro_usd if days else 0
    top = _nice_ceiling(max(cap_micro_usd, total, max((d.spent_micro_usd for d in days), default=0)))
    plot_h = chart.plot_bottom - chart.plot_top
    plot_w = chart.plot_right - chart.plot_left
    slot = plot_w / max(1, len(days))

    def y(micro):
        return round(chart.plot_bottom - plot_h * micro / top, 2)

    points = []
    for index, day in enumerate(days):
        x = chart.plot_left + index * slot
        bar_top = y(day.spent_micro_usd)
        chart.bars.append({
            "x": round(x + slot * 0.15, 2), "y": bar_top, "width": round(slot * 0.7, 2),
            "height": round(chart.plot_bottom - bar_top, 2),
            "title": f"{day.day.isoformat()}: ${format_micro(day.spent_micro_usd)}",
        })
        points.append(f"{round(x + slot / 2, 2)},{y(day.cumulative_micro_usd)}")
        if index % 7 == 0 or (index == len(days) - 1 and index % 7 >= 4):
            chart.x_labels.append({"x": round(x + slot / 2, 2), "text": day.day.strftime("%b %d")})
    chart.line_points = " ".join(points)
    chart.cap_y = y(cap_micro_usd)
    chart.cap_label = f"cap ${format_micro(cap_micro_usd)}"
    chart.y_ticks = [{"y": y(top * i // TICKS), "text": f"${format_micro(top * i // TICKS)}"}
                     for i in range(TICKS + 1)]
    chart.description = (f"Spend over the last {len(days)} days: ${format_micro(total)} "
                         f"of a ${format_micro(cap_micro_usd)} cap.")
    return chart
