"""Inventory of the real DICOM exports in ../shared/data/dicom (skipped when absent)."""

import pytest

from lungtrack.ingest.headers import scan
from lungtrack.ingest.inventory import build

pytestmark = pytest.mark.shared


def test_covid_slices_grouped_into_10_patients_with_2_ordered_studies(shared_data):
    table, cases, _ = build(*scan(shared_data / "dicom" / "covid-ny-sbu-longitudinal-slices", progress=False))
    assert len(table) == 40 and len(cases) == 20  # every study is a case, each refused: single slices only
    assert cases["refused"].str.startswith("no series can be analysed: series ").all()
    studies = table.drop_duplicates("study_uid")
    assert studies["patient_id"].nunique() == 10
    for _, patient in studies.groupby("patient_id", sort=False):
        dates = patient["study_date"].tolist()
        assert len(dates) == 2 and dates[0] < dates[1]
        assert patient["timepoint"].tolist() == [d.replace("-", "") for d in dates]
    # patients follow one another by their first study date
    firsts = studies.groupby("patient_id", sort=False)["study_date"].first().tolist()
    assert firsts == sorted(firsts)
    assert set(table["status"]) == {"single axial slice: not a volume", "single coronal slice: not a volume"}


def test_philips_export_localizer_summary_and_tilted_second_study(shared_data):
    table, cases, _ = build(*scan(shared_data / "dicom" / "philips-ct-head-multiseries", progress=False))
    series = table[table["series_uid"].notna()]
    status = sorted(zip(series["timepoint"], series["series_description"].fillna(""), series["status"]))
    assert status == [
        ("20150206", "", "localizer/scout"),
        ("20150206", "Exam Summary", "secondary capture"),
        ("20150206", "STD BRAIN 5MM", "chosen"),
        ("20150206_2", "", "localizer/scout"),
        ("20150206_2", "STEREOTAXIS", "chosen"),
    ]
    assert series.loc[series["series_description"] == "STEREOTAXIS", "tilt_deg"].iloc[0] == pytest.approx(18.5)
    skipped = table[table["series_uid"].isna()]
    assert len(skipped) == 5 and skipped["status"].str.startswith("skipped: DICOMDIR").all()
    assert cases["timepoint"].tolist() == ["20150206", "20150206_2"]


def test_export_with_blanked_uids_forms_one_series(shared_data):
    table, cases, files = build(*scan(shared_data / "dicom" / "siemens-ct-abdomen-jpeg2000", progress=False))
    assert len(table) == 1 and table["n_images"].iloc[0] == 20
    assert table["series_uid"].iloc[0].startswith("2.25.") and files["series_uid"].nunique() == 1
    # an anonymised export without PatientID: analysed under a key derived from its StudyInstanceUID
    assert table["status"].iloc[0] == "chosen" and cases["patient_id"].iloc[0].startswith("anon-")
    assert cases["patient_id_source"].iloc[0] == "StudyInstanceUID (no PatientID)"
