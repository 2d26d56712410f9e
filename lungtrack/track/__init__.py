"""Longitudinal tracking of one patient's scans.

``registration`` aligns each follow-up to the baseline scan (driven by the lung masks);
``lesions`` finds lesions per timepoint, matches them across consecutive timepoints and names
the events; ``change`` calls each interval progression, regression or stable; ``regions``
measures POI per lung, zone and lobe and the CT severity score; ``pipeline`` runs all of it for
one patient.
"""
