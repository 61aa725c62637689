"""Worker quality charts for team leads: horizontal bar charts drawn on the server as inline SVG
(no script, nothing fetched; fits the portal's Content-Security-Policy), with the same numbers in
a table beside them. ``quality_context`` builds the template values for
``reviews/partials/quality_charts.html``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.selectors.quality import WorkerQualityRow, worker_quality_by_flow
from workforce.models import Organization

DEFAULT_THRESHOLD = 0.8
LABEL_WIDTH = 230
BAR_WIDTH = 340
VALUE_WIDTH = 110
ROW_HEIGHT = 22
TOP = 24
BOTTOM = 24


@dataclass(frozen=True)
class Bar:
    label: str
    share: float
    agreed: int
    n: int
    y: int
    width: float
    below: bool

    @property
    def percent(self) -> str:
        return f"{self.share * 100:.0f}%"

    @property
    def text_y(self) -> int:
        return self.y + ROW_HEIGHT // 2


@dataclass(frozen=True)
class Chart:
    title: str
    measure: str
    bars: list[Bar]
    threshold: float
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    threshold_x: float
    ticks: list[dict[str, Any]]

    @property
    def below_count(self) -> int:
        return sum(b.below for b in self.bars)


def bar_chart(title: str, measure: str, items: list[tuple[str, float | None, int, int]], *, threshold: float) -> Chart:
    """A horizontal bar chart of shares in [0, 1]: ``items`` are (label, share or None, agreed,
    n); items without a share are left out. Bars are sorted highest first (then by label), and
    those below ``threshold`` are flagged."""
    kept = sorted(((lbl, s, a, n) for lbl, s, a, n in items if s is not None), key=lambda i: (-i[1], i[0]))
    left = LABEL_WIDTH
    right = LABEL_WIDTH + BAR_WIDTH
    bars = [
        Bar(
            label=label,
            share=share,
            agreed=agreed,
            n=n,
            y=TOP + i * ROW_HEIGHT,
            width=round(share * BAR_WIDTH, 2),
            below=share < threshold,
        )
        for i, (label, share, agreed, n) in enumerate(kept)
    ]
    bottom = TOP + len(bars) * ROW_HEIGHT
    return Chart(
        title=title,
        measure=measure,
        bars=bars,
        threshold=threshold,
        width=right + VALUE_WIDTH,
        height=bottom + BOTTOM,
        left=left,
        right=right,
        top=TOP,
        bottom=bottom,
        threshold_x=round(left + threshold * BAR_WIDTH, 2),
        ticks=[{"x": left + f * BAR_WIDTH, "label": f"{int(f * 100)}%"} for f in (0, 0.25, 0.5, 0.75, 1.0)],
    )


def parse_threshold(value: str | None) -> float:
    """A threshold from a query value in percent ("80") or as a share ("0.8"); the default otherwise."""
    try:
        t = float(value) if value else DEFAULT_THRESHOLD
    except ValueError:
        return DEFAULT_THRESHOLD
    if t > 1:
        t /= 100
    return t if 0 <= t <= 1 else DEFAULT_THRESHOLD


def _label(row: WorkerQualityRow) -> str:
    return row.email or row.worker_id


def flow_quality_charts(rows: list[WorkerQualityRow], *, threshold: float) -> dict[str, Any]:
    return {
        "rows": sorted(rows, key=lambda r: _label(r)),
        "accuracy": bar_chart(
            "Accuracy on gold items",
            "accuracy",
            [(_label(r), r.accuracy, r.gold_correct, r.gold_answers) for r in rows],
            threshold=threshold,
        ),
        "agreement": bar_chart(
            "Agreement with the consolidated answer",
            "agreement",
            [(_label(r), r.agreement, r.agreed, r.compared) for r in rows],
            threshold=threshold,
        ),
    }


def quality_context(organization: Organization, *, threshold: float) -> dict[str, Any]:
    """Template values: per flow with scores, its two charts and table rows."""
    flows = worker_quality_by_flow(organization)
    return {
        "quality_threshold": threshold,
        "quality_threshold_percent": f"{threshold * 100:g}",
        "quality_flows": [
            {"name": name, **flow_quality_charts(rows, threshold=threshold)} for name, rows in flows.items()
        ],
    }
