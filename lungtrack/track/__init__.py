"""Longitudinal tracking of one patient's scans.

``registration`` aligns each follow-up to the baseline scan (driven by the lung masks), and
``label_warp`` moves label maps onto the baseline's grid;
``lesions`` finds lesions per timepoint, matches them across consecutive timepoints and names
the events; ``pipeline`` runs all of it for one patient and measures its zones and lobes
(:mod:`lungtrack.measure.regions`). The change calls are in :mod:`lungtrack.measure.change`.
"""
