"""Orders per day and lab over the last 30 days (the chain's days), as stacked SVG bars and
as a table with the same numbers. "Lab" is the order's company: the ear-mould lab, or the
supplier of an article order. An order counts on the day it was written."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..companies.models import Company
from ..extensions import db
from ..i18n import select_timezone
from ..ordering.models import Order

DAYS = 30
# Labs with a colour of their own, the busiest first; the rest share one ("other labs").
SERIES = 6
OTHERS = 0  # the series id of the others

# The chart's geometry in SVG user units: one slot per day, bars scaled to the busiest day.
SLOT, BAR, PLOT_HEIGHT, LEFT, TOP, BOTTOM = 14, 10, 100, 30, 8, 22


@dataclass
class Series:
    key: int  # a company id, or OTHERS
    name: str
    css: str  # series-1 … series-6, series-others
    total: int = 0


@dataclass
class Day:
    day: date
    counts: dict = field(default_factory=dict)  # series key → orders

    @property
    def total(self):
        return sum(self.counts.values())


def orders_per_day(now=None, days=DAYS):
    """(days oldest first, series): every order written in the last `days` of the chain's
    days, counted per day and lab (one query for the orders, one for the labs' names)."""
    zone = ZoneInfo(select_timezone() or "Europe/Berlin")
    today = (now or datetime.now(timezone.utc)).astimezone(zone).date()
    result = [Day(today - timedelta(days=days - 1 - index)) for index in range(days)]
    since = datetime.combine(result[0].day, time.min, zone).astimezone(timezone.utc)
    by_day = {item.day: item for item in result}
    per_lab = {}
    found = db.session.execute(db.select(Order.created_at, Order.company_id)
                               .where(Order.created_at >= since)).all()
    for created_at, company_id in found:
        item = by_day.get(created_at.astimezone(zone).date())
        if item is not None:
            item.counts[company_id] = item.counts.get(company_id, 0) + 1
            per_lab[company_id] = per_lab.get(company_id, 0) + 1
    busiest = sorted(per_lab, key=lambda company_id: (-per_lab[company_id], company_id))
    names = dict(db.session.execute(db.select(Company.id, Company.name)
                                    .where(Company.id.in_(busiest[:SERIES]))).all()) \
        if busiest else {}
    series = [Series(key=company_id, name=names.get(company_id, f"#{company_id}"),
                     css=f"series-{index + 1}", total=per_lab[company_id])
              for index, company_id in enumerate(busiest[:SERIES])]
    rest = busiest[SERIES:]
    if rest:
        series.append(Series(key=OTHERS, name=str(_l("Other labs")), css="series-others",
                             total=sum(per_lab[company_id] for company_id in rest)))
        for item in result:
            others = sum(item.counts.pop(company_id, 0) for company_id in rest)
            if others:
                item.counts[OTHERS] = others
    return result, series


def chart(days, series):
    """The stacked bars as SVG geometry (the busiest lab at the bottom), each bar with its
    words for a <title>; the template only draws it."""
    peak = max((day.total for day in days), default=0)
    scale = PLOT_HEIGHT / peak if peak else 0
    base = TOP + PLOT_HEIGHT
    bars = []
    for index, day in enumerate(days):
        y, parts = base, []
        for one in series:
            count = day.counts.get(one.key, 0)
            if not count:
                continue
            height = count * scale
            y -= height
            parts.append(dict(css=one.css, y=round(y, 1), height=round(height, 1)))
        label = format_date(day.day, "medium")
        detail = ", ".join(f"{one.name} {day.counts[one.key]}" for one in series
                           if day.counts.get(one.key))
        title = _("%(day)s: %(count)s orders", day=label, count=day.total)
        bars.append(dict(x=LEFT + index * SLOT + (SLOT - BAR) / 2, width=BAR, parts=parts,
                         title=f"{title} ({detail})" if detail else title))
    ticks = [dict(x=LEFT + index * SLOT + SLOT / 2, label=format_date(days[index].day, "d.M."))
             for index in (0, len(days) // 2, len(days) - 1)] if days else []
    total = sum(day.total for day in days)
    return dict(
        width=LEFT + len(days) * SLOT + 6, height=TOP + PLOT_HEIGHT + BOTTOM, base=base,
        left=LEFT, top=TOP, right=LEFT + len(days) * SLOT, peak=peak, bars=bars, ticks=ticks,
        total=total,
        description=_("Orders of the last %(days)s days per day and lab: %(total)s in all; "
                      "the busiest day had %(peak)s.", days=len(days), total=total, peak=peak))
