"""The reports in a real headless Chromium: open from file://, draw every chart, no errors, no network."""

import json
import shutil

import pytest
from test_evaluate_cli import run_evaluate, write_cohort
from test_report import write_metrics
from test_track_pipeline import BASELINE, FOLLOW_UP, SHIFT, scan_files_of, write_patient

from lungtrack.measure.cohort import cohort_table, load_metrics
from lungtrack.report.overview import overview_report
from lungtrack.report.patient import patient_report
from lungtrack.track.pipeline import track_patient

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)",
)

# Every plotly div: its id, number of traces, points per trace and drawn SVG traces.
_CHARTS_JS = """
return Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => ({
  id: d.id,
  traces: (d._fullData || []).length,
  points: (d._fullData || []).map(t => (t.z || t.y || []).length),
  drawn: d.querySelectorAll('g.trace, g.hm, image').length,
}));
"""
_EXPORT_JS = """
const done = arguments[arguments.length - 1];
Plotly.toImage(arguments[0], {format: 'png'}).then(url => done(url.slice(0, 40))).catch(e => done('error: ' + e));
"""
_IMAGES_JS = "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1800",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def open_report(driver, path):
    """Open ``path`` from file://; return (charts, images, console errors, http(s) requests)."""
    driver.get_log("performance")  # drop what earlier pages logged
    driver.get_log("browser")
    driver.get(path.resolve().as_uri())
    driver.execute_async_script("const done = arguments[0]; setTimeout(done, 500);")
    charts = driver.execute_script(_CHARTS_JS)
    images = driver.execute_script(_IMAGES_JS)
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(("file:", "data:", "blob:")):
                requests.append(url)
    return charts, images, errors, requests


def test_patient_report_in_chromium(browser, tmp_path):
    page = tmp_path / "P001.html"
    page.write_text(patient_report(write_metrics(tmp_path), "P001"))
    charts, images, errors, requests = open_report(browser, page)
    assert {c["id"] for c in charts} == {"poi-trend", "lesion-volumes"}
    for chart in charts:
        assert chart["traces"] >= 2 and all(n == 3 for n in chart["points"]) and chart["drawn"] > 0, chart
    assert errors == []
    assert requests == []
    assert browser.get_screenshot_as_png()[:4] == b"\x89PNG"


def test_tracked_patient_and_overview_in_chromium(browser, tmp_path):
    metrics = write_patient(tmp_path, [("2020-04-01", BASELINE, (0, 0, 0)), ("2020-04-09", FOLLOW_UP, SHIFT)])
    track_patient(metrics, scan_files_of(metrics), "P001", tmp_path / "tracking")
    reports = tmp_path / "reports"
    reports.mkdir()
    page = reports / "P001.html"
    page.write_text(patient_report(metrics, "P001", tmp_path / "tracking" / "tracking.json", scan_files_of(metrics)))
    charts, images, errors, requests = open_report(browser, page)
    assert {c["id"] for c in charts} == {"poi-trend", "lesion-volumes", "zone-heatmap"}
    for chart in charts:
        assert chart["traces"] >= 1 and min(chart["points"]) >= 2 and chart["drawn"] > 0, chart
    assert len(images) == 6 and all(complete and width > 50 for complete, width in images)
    assert errors == [] and requests == []
    exported = browser.execute_async_script(_EXPORT_JS, "zone-heatmap")  # the modebar's PNG download, under the CSP
    assert exported.startswith("data:image/png;base64,"), exported
    assert browser.get_log("browser") == []

    cohort = tmp_path / "cohort.csv"
    cohort_table([load_metrics(p) for p in metrics]).to_csv(cohort, index=False)
    index = reports / "index.html"
    index.write_text(overview_report(cohort))
    charts, _, errors, requests = open_report(browser, index)
    assert [(c["id"], c["points"]) for c in charts] == [("cohort-trajectories", [2])]
    assert errors == [] and requests == []
    browser.find_element("link text", "P001").click()
    assert browser.current_url == page.as_uri()


def test_evaluation_page_in_chromium(browser, tmp_path):
    """The evaluation page (report templates): both Bland-Altman plots and the ROC drawn, every table there."""
    assert run_evaluate(write_cohort(tmp_path), tmp_path / "eval") == 0
    charts, _, errors, requests = open_report(browser, tmp_path / "eval" / "evaluation.html")
    assert {c["id"] for c in charts} == {"ba-poi_pct", "ba-lesion_ml", "roc"}
    for chart in charts:
        assert chart["traces"] >= 1 and chart["drawn"] > 0, chart
    assert errors == [] and requests == []
    headings = [h.text for h in browser.find_elements("css selector", "h2")]
    assert headings == ["Segmentation (mean ± SD over cases)", "Agreement with the reference", "Scan-level detection",
                        "Per case"]
    rows = browser.find_elements("css selector", "#cases tbody tr")
    assert len(rows) == 16  # 4 scans × 4 labels


def test_the_checks_see_requests_and_errors(browser, tmp_path):
    """A page that fetches from the network and throws must fail the checks above."""
    page = tmp_path / "bad.html"
    page.write_text('<html><body><img src="http://192.0.2.1/x.png"><script>throw new Error("boom")</script>'
                    "</body></html>")
    _, _, errors, requests = open_report(browser, page)
    assert any("boom" in e for e in errors)
    assert requests == ["http://192.0.2.1/x.png"]
