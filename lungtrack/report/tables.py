"""Tables as a page: CSV/TSV files (the cohort table, the failed scans) as one self-contained HTML page.

``snakemake --report`` offers CSV files only for download; this page shows them as tables there.
Values are shown as the files hold them (volumes in mL, POI in %, as in ``cohort.csv``).
"""

import datetime as dt
from pathlib import Path

import pandas as pd

from lungtrack import __version__
from lungtrack.errors import InputError
from lungtrack.report import render


def read_table(path) -> pd.DataFrame:
    """A CSV file (a TSV one by its ``.tsv`` suffix) as strings, as written; InputError naming a bad file."""
    try:
        return pd.read_csv(path, sep="\t" if Path(path).suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable table ({exc})") from None


def tables_page(paths, title: str) -> str:
    """One HTML page with a section per file of ``paths``: its name, its number of rows and its table."""
    sections = []
    for path in paths:
        frame = read_table(path)
        sections.append({"id": Path(path).stem, "name": Path(path).name, "n": len(frame), "table": render.table(frame)})
    return render.render("tables.html", title=title, sections=sections, version=__version__,
                         generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
