"""Privacy of ingest outputs: no identifying header in any file, file name or log; optional pseudonyms."""

import gzip
import os
import subprocess
import sys

import numpy as np
import pytest

from lungtrack.ingest.privacy import patient_key, pseudonym
from lungtrack.phantom.dicom_writer import axial_positions, write_series
from lungtrack.io.names import path_safe

SECRETS = {
    "PatientName": "Doe^Jane Quintessa",
    "PatientBirthDate": "19450203",
    "AccessionNumber": "ACC998877",
    "InstitutionName": "Saint Secretia Hospital",
    "ReferringPhysicianName": "Strangelove^Herbert",
}
MRN = "MRN/123 456"


def lungtrack(*args, env=None):
    """Run the CLI in a subprocess so that its complete stdout, stderr and logs are captured."""
    run = subprocess.run([sys.executable, "-m", "lungtrack", *map(str, args)], check=False, capture_output=True,
                         text=True, env={**os.environ, **(env or {})})
    assert run.returncode == 0, run.stderr
    return run.stdout + run.stderr


def outputs_text(folder):
    """Names and contents (NIfTI decompressed) of every file below ``folder``."""
    for path in folder.rglob("*"):
        yield str(path.relative_to(folder))
        if path.is_file():
            data = path.read_bytes()
            yield (gzip.decompress(data) if path.suffix == ".gz" else data).decode("latin-1")


@pytest.fixture(scope="module")
def dicom(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    positions = axial_positions(12, 2.0)
    write_series(root / "study", np.full((12, 8, 8), -900, np.int16), positions,
                 header={"PatientID": MRN, **SECRETS})
    return root


@pytest.mark.parametrize("pseudonymize", [False, True])
def test_no_identifying_header_in_outputs_or_logs(dicom, tmp_path, pseudonymize):
    out = tmp_path / "results"
    options, env = (["--pseudonymize"], {"LUNGTRACK_PSEUDONYM_SALT": "pepper"}) if pseudonymize else ([], {})
    logs = lungtrack("inventory", dicom, out / "inventory.tsv", "--files", out / "files.tsv",
                     "--cases", out / "cases.tsv", *options, env=env)
    uid = (out / "cases.tsv").read_text().splitlines()[1].split("\t")[3]
    logs += lungtrack("convert", "--files", out / "files.tsv", "--root", dicom, "--series", uid,
                      out / "image.nii.gz", "--sidecar", out / "image.json", "--cases", out / "cases.tsv")
    logs += lungtrack("convert", dicom, out / "direct.nii.gz", "--sidecar", out / "direct.json", *options, env=env)
    texts = [logs, *outputs_text(out)]
    for secret in SECRETS.values():
        assert not any(secret in text or secret.split("^")[0] in text for text in texts), secret
    expected = pseudonym(MRN, "pepper") if pseudonymize else patient_key(MRN)
    assert f'"patient_id": "{expected}"' in (out / "image.json").read_text()
    assert f'"patient_id": "{expected}"' in (out / "direct.json").read_text()
    if pseudonymize:
        assert not any("MRN" in text for text in texts)


def test_pseudonym_is_stable_salted_and_path_safe():
    assert pseudonym(MRN, "a") == pseudonym(MRN, "a") != pseudonym(MRN, "b")
    assert path_safe(pseudonym(MRN, "a")) == pseudonym(MRN, "a")
    assert path_safe(" A^B/C ") == "A_B_C"
    with pytest.raises(ValueError):
        pseudonym(MRN, "")
