"""Per-timepoint measurements (volumes in mL, POI in %), the cohort and patient tables.

``volumes`` (lung and lesion volumes, POI), ``regions`` (POI per lung, zone and lobe, CT severity
score), ``overlap`` (Dice, IoU), ``reference_files`` (where a scan's reference masks lie), ``reference``
(reference masks onto the image grid), ``comparison`` (masks against references per label), ``qc``,
``outcome``, ``metrics`` (one scan's metrics JSON), ``cohort`` (the cohort table), ``patient``
(one patient's analysed timepoints) and ``change`` (progression / regression / stable calls).
"""
