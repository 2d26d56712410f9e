"""Per-timepoint measurements (volumes in mL, POI in %) and the cohort table."""
