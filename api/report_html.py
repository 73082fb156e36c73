"""The validation report as one self-contained HTML file with inline SVG charts (no scripts, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from scoring.validation import CalibrationBin, GroupStats, ValidationReport

W, H, PAD_L, PAD_B, PAD_T, PAD_R = 640, 280, 56, 44, 18, 16


def _frame(title_y: str) -> list[str]:
    return [
        f'<svg viewBox="0 0 {W} {H}" role="img" xmlns="http://www.w3.org/2000/svg" class="chart">',
        f'<text x="14" y="{PAD_T + (H - PAD_T - PAD_B) / 2}" transform="rotate(-90 14 {PAD_T + (H - PAD_T - PAD_B) / 2})" '
        f'text-anchor="middle" class="axis">{escape(title_y)}</text>',
    ]


def _y(v: float, vmax: float) -> float:
    return PAD_T + (H - PAD_T - PAD_B) * (1 - (v / vmax if vmax else 0))


def _y_axis(vmax: float, fmt: str) -> list[str]:
    out = []
    for k in range(5):
        v = vmax * k / 4
        y = _y(v, vmax)
        out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{fmt.format(v)}</text>')
    return out


def win_rate_chart(groups: Sequence[GroupStats], *, base: float) -> Markup:
    """Returns an SVG bar chart of win rate per group with 95% interval whiskers and the base rate."""
    shown = [g for g in groups if g.n > 0]
    if not shown:
        return Markup("<p class='muted'>No closed deals to chart.</p>")
    vmax = min(1.0, max(0.1, max((g.ci_high or 0) for g in shown) * 1.1))
    parts = _frame("win rate") + _y_axis(vmax, "{:.0%}")
    slot = (W - PAD_L - PAD_R) / len(shown)
    for i, g in enumerate(shown):
        x = PAD_L + i * slot + slot * 0.15
        bw = slot * 0.7
        rate = g.win_rate or 0.0
        cls = "bar few" if g.few else "bar"
        parts.append(
            f'<rect x="{x:.1f}" y="{_y(rate, vmax):.1f}" width="{bw:.1f}" height="{_y(0, vmax) - _y(rate, vmax):.1f}" '
            f'class="{cls}"><title>{escape(g.label)}: {rate:.1%} of {g.n} deals ({g.accounts} accounts)</title></rect>'
        )
        cx = x + bw / 2
        if g.ci_low is not None and g.ci_high is not None:
            y1, y2 = _y(g.ci_low, vmax), _y(g.ci_high, vmax)
            parts.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y1:.1f}" y2="{y2:.1f}" class="whisker"/>')
            parts.append(f'<line x1="{cx - 6:.1f}" x2="{cx + 6:.1f}" y1="{y1:.1f}" y2="{y1:.1f}" class="whisker"/>')
            parts.append(f'<line x1="{cx - 6:.1f}" x2="{cx + 6:.1f}" y1="{y2:.1f}" y2="{y2:.1f}" class="whisker"/>')
        parts.append(
            f'<text x="{cx:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" class="tick">{escape(g.label)}</text>'
        )
        parts.append(f'<text x="{cx:.1f}" y="{H - PAD_B + 30}" text-anchor="middle" class="tick muted">n={g.n}</text>')
    yb = _y(base, vmax)
    parts.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{yb:.1f}" y2="{yb:.1f}" class="base"/>')
    parts.append(
        f'<text x="{W - PAD_R}" y="{yb - 4:.1f}" text-anchor="end" class="tick base-label">base {base:.1%}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def deal_size_chart(groups: Sequence[GroupStats], *, currency: str = "") -> Markup:
    """Returns an SVG bar chart of the average won deal per group."""
    shown = [g for g in groups if g.avg_deal is not None]
    if not shown:
        return Markup("<p class='muted'>No won deals with an amount.</p>")
    vmax = max(g.avg_deal or 0 for g in shown) * 1.1 or 1.0
    parts = _frame(f"avg won deal {currency}".strip()) + _y_axis(vmax, "{:,.0f}")
    slot = (W - PAD_L - PAD_R) / len(shown)
    for i, g in enumerate(shown):
        x = PAD_L + i * slot + slot * 0.15
        bw = slot * 0.7
        v = g.avg_deal or 0.0
        parts.append(
            f'<rect x="{x:.1f}" y="{_y(v, vmax):.1f}" width="{bw:.1f}" height="{_y(0, vmax) - _y(v, vmax):.1f}" class="bar alt">'
            f"<title>{escape(g.label)}: {v:,.0f} average over {g.wins} won deals</title></rect>"
        )
        parts.append(
            f'<text x="{x + bw / 2:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" class="tick">{escape(g.label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def calibration_chart(bins: Sequence[CalibrationBin]) -> Markup:
    """Returns an SVG scatter of predicted vs observed win rate with the diagonal."""
    if not bins:
        return Markup("<p class='muted'>Too few deals for a calibration curve.</p>")
    vmax = min(1.0, max(max(b.predicted, b.observed) for b in bins) * 1.15)
    parts = _frame("observed win rate") + _y_axis(vmax, "{:.0%}")

    def x(v: float) -> float:
        return PAD_L + (W - PAD_L - PAD_R) * (v / vmax)

    parts.append(
        f'<line x1="{x(0):.1f}" y1="{_y(0, vmax):.1f}" x2="{x(vmax):.1f}" y2="{_y(vmax, vmax):.1f}" class="base"/>'
    )
    for b in bins:
        r = 3 + min(9.0, b.n**0.5 / 4)
        parts.append(
            f'<circle cx="{x(b.predicted):.1f}" cy="{_y(b.observed, vmax):.1f}" r="{r:.1f}" class="dot">'
            f"<title>predicted {b.predicted:.1%}, observed {b.observed:.1%}, n={b.n}</title></circle>"
        )
    for k in range(5):
        v = vmax * k / 4
        parts.append(f'<text x="{x(v):.1f}" y="{H - PAD_B + 16}" text-anchor="middle" class="tick">{v:.0%}</text>')
    parts.append(f'<text x="{(W + PAD_L) / 2}" y="{H - 6}" text-anchor="middle" class="axis">predicted win rate</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def render_report_html(report: ValidationReport, *, currency: str = "") -> str:
    """Returns the whole report as one HTML document."""
    env = Environment(loader=PackageLoader("api", "templates"), autoescape=select_autoescape(["html", "jinja"]))
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.1%}"
    env.filters["num"] = lambda v: "–" if v is None else f"{v:,.0f}"
    env.filters["p"] = lambda v: "–" if v is None else ("< 0.001" if v < 0.001 else f"{v:.3f}")
    env.filters["f3"] = lambda v: "–" if v is None else f"{v:.3f}"
    tpl = env.get_template("report.html.jinja")
    return tpl.render(
        r=report,
        currency=currency,
        band_chart=win_rate_chart(report.bands, base=report.overall.base_win_rate),
        tier_chart=win_rate_chart(report.tiers, base=report.overall.base_win_rate),
        deal_chart=deal_size_chart(report.bands, currency=currency),
        cal_chart=calibration_chart(report.calibration),
    )
