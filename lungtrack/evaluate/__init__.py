"""Evaluation of lung and lesion masks against reference masks, and of POI against scan labels.

Modules: ``surface`` (normalized surface Dice, HD95 in mm), ``volumes`` (volume and POI errors),
``agreement`` (Bland-Altman, ICC, correlations), ``detection`` (ROC, AUC with bootstrap interval,
sensitivity and specificity), ``cases`` (per case and label), ``summary`` (cohort tables) and
``page`` (offline HTML page). Dice/IoU and the reference masks are in :mod:`lungtrack.measure`
(``overlap``, ``reference``), which the per-scan metrics use too.
"""
