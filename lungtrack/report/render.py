"""Fill the report templates (``templates/*.html``, Jinja2) into self-contained HTML.

plotly.js is inlined once per page (not per figure), the stylesheet is inlined, images are data
URIs, and a Content-Security-Policy forbids the page any network request.
"""

import math

import jinja2
import pandas as pd
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("lungtrack.report", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_PLOT_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png"}}


def figure_html(fig, div_id: str) -> Markup:
    """The ``<div>`` and drawing script of one plotly figure, without plotly.js itself."""
    return Markup(pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOT_CONFIG))


def _format(value, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if "Dice" in column:
            return f"{value:.3f}"
        if "%" in column or "(mm)" in column:
            return f"{value:.2f}"
        return f"{value:.1f}"
    return str(value)


def table(frame: pd.DataFrame) -> dict:
    """A DataFrame as ``{"columns": [...], "rows": [[str, ...], ...]}`` with units-aware number formats."""
    columns = [str(c) for c in frame.columns]
    rows = [[_format(v, c) for v, c in zip(row, columns, strict=True)]
            for row in frame.astype(object).itertuples(index=False)]
    return {"columns": columns, "rows": rows}


def render(template: str, **context) -> str:
    """Render ``templates/<template>`` with ``context`` plus the inlined plotly.js."""
    return _ENV.get_template(template).render(plotly_js=Markup(get_plotlyjs()), **context)
