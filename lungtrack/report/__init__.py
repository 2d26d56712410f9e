"""Self-contained HTML reports, split by role.

``data`` gathers what a report shows (metrics records, tracking results) into tables;
``figures`` turns tables into plotly figures; ``slices`` draws CT slices with contours as PNG;
``render`` fills the Jinja templates in ``templates/``; ``patient`` and ``overview`` assemble
the per-patient report and the cohort overview page. Reports load nothing from the network:
plotly.js, CSS and images are embedded in each file.
"""
