"""`lungtrack table`: CSV/TSV files as tables on one self-contained page (the cohort table in the report)."""

import re

from lungtrack.cli import main


def test_tables_page_shows_each_file_as_written(tmp_path):
    cohort, failures, page = tmp_path / "cohort.csv", tmp_path / "failures.tsv", tmp_path / "page.html"
    cohort.write_text("patient_id,study_date,poi\nP001,2020-04-01,12.3456\nP002,2020-04-03,\n")
    failures.write_text("patient_id\tstudy_date\ttimepoint\tfailed_step\treason\n")
    assert main(["table", str(cohort), str(failures), "--out", str(page)]) == 0
    html = page.read_text()
    sections = dict(re.findall(r'<section id="(\w+)">(.*?)</section>', html, flags=re.S))
    assert set(sections) == {"cohort", "failures"}
    assert sections["cohort"].count("<tr>") == 3 and "12.3456" in sections["cohort"]  # header and two rows
    assert "2 rows" in sections["cohort"] and "0 rows" in sections["failures"]
    assert "<th>failed_step</th>" in sections["failures"]
    # self-contained: the report's policy forbids every request
    assert "default-src 'none'" in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html)


def test_tables_page_names_a_bad_file(tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    assert main(["table", str(missing), "--out", str(tmp_path / "page.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope.csv" in err and "not a readable table" in err
    assert not (tmp_path / "page.html").exists()


def test_a_zone_cell_with_a_trace_of_lesion_reads_below_0_1_not_0_0():
    """A POI of 0.03 % scores 1, so the cell must not read ``0.0 % · score 1``."""
    import pandas as pd

    from lungtrack.measure.regions import severity_score
    from lungtrack.report.figures import zone_heatmap

    regions = pd.DataFrame([
        {"study_date": "2020-03-01", "region": "right_upper", "metric": "poi", "value": 0.03},
        {"study_date": "2020-03-01", "region": "right_upper", "metric": "severity", "value": severity_score(0.03)},
        {"study_date": "2020-03-01", "region": "left_upper", "metric": "poi", "value": 0.0},
        {"study_date": "2020-03-01", "region": "left_upper", "metric": "severity", "value": severity_score(0.0)},
    ])
    text = zone_heatmap(regions, ["right_upper", "left_upper"]).data[0].text
    assert text[0][0] == "< 0.1 % · score 1"
    assert text[1][0] == "0.0 % · score 0"
