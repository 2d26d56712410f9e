"""DICOM ingest: inventory of a DICOM tree, choice of one axial CT series per study, conversion to HU NIfTI."""
