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
