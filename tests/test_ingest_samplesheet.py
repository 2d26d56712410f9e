"""NIfTI input path: a sample sheet becomes the case table; convert validates and copies each volume."""

import json

import numpy as np
import pandas as pd
import SimpleITK as sitk

from lungtrack.cli import main
from lungtrack.ingest.privacy import patient_key

A1 = patient_key("A 1")  # 'A_1-<hash>': cleaned, so suffixed with a hash of the ID itself


def write_volume(path, low=-1000.0, dtype=np.float32):
    image = sitk.GetImageFromArray(np.linspace(low, 400.0, 4 * 5 * 6).reshape(4, 5, 6).astype(dtype))
    image.SetSpacing((0.7, 0.7, 2.0))
    image.SetOrigin((1.0, 2.0, 3.0))
    sitk.WriteImage(image, str(path))
    return image


def test_sample_sheet_to_cases_and_copied_volumes(tmp_path):
    for name in ("a1", "a2", "b1"):
        write_volume(tmp_path / f"{name}.nii.gz")
    sheet = tmp_path / "samples.csv"
    sheet.write_text("patient_id,study_date,path\nA 1,2020-03-02,a2.nii.gz\nA 1,2020-03-02,a1.nii.gz\n"
                     "B,20200301,b1.nii.gz\n")
    out = tmp_path / "ingest"
    assert main(["inventory", str(sheet), str(out / "inventory.tsv"), "--files", str(out / "files.tsv"),
                 "--cases", str(out / "cases.tsv")]) == 0
    cases = pd.read_csv(out / "cases.tsv", sep="\t", dtype=str)
    assert cases[["patient_id", "study_date", "timepoint"]].values.tolist() == [
        ["B", "2020-03-01", "20200301"], [A1, "2020-03-02", "20200302"], [A1, "2020-03-02", "20200302_2"]]
    second = cases.iloc[2]
    image, side = tmp_path / "img.nii.gz", tmp_path / "img.json"
    assert main(["convert", second["path"], str(image), "--sidecar", str(side), "--cases", str(out / "cases.tsv")]) == 0
    info = json.loads(side.read_text())
    assert (info["patient_id"], info["timepoint"], info["size"]) == (A1, "20200302_2", [6, 5, 4])
    copied = sitk.ReadImage(str(image))
    assert copied.GetPixelID() == sitk.sitkInt16 and copied.GetOrigin() == (1.0, 2.0, 3.0)


def test_volume_not_in_hu_is_refused(tmp_path, capsys):
    write_volume(tmp_path / "scaled.nii.gz", low=0.0)
    assert main(["convert", str(tmp_path / "scaled.nii.gz"), str(tmp_path / "out.nii.gz")]) == 2
    assert "do not look like CT in HU" in capsys.readouterr().err
    assert not (tmp_path / "out.nii.gz").exists()


def test_sheet_with_missing_column_or_file_is_refused(tmp_path, capsys):
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("patient_id\tpath\nA\tx.nii.gz\n")
    assert main(["inventory", str(sheet), str(tmp_path / "inv.tsv")]) == 2
    assert "lacks column(s) study_date" in capsys.readouterr().err
    sheet.write_text("patient_id\tstudy_date\tpath\nA\t2020-01-01\tmissing.nii.gz\n")
    assert main(["inventory", str(sheet), str(tmp_path / "inv.tsv")]) == 2
    assert "line 2: volume missing.nii.gz does not exist" in capsys.readouterr().err
