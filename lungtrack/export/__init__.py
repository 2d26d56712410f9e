"""Results back to PACS: DICOM SEG of the masks and a DICOM SR (TID 1500) of the measurements.

Layers: ``codes`` (coded concepts) -> ``source`` (the source series, privacy, masks on its frames) ->
``seg`` and ``sr`` (the two objects, highdicom) -> ``case`` (one analysed scan end to end).
"""
