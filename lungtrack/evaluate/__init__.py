"""Evaluation of lung and lesion masks against reference masks, and of POI against scan labels.

Modules: ``overlap`` (Dice, IoU), ``surface`` (normalized surface Dice, HD95 in mm),
``volumes`` (volume and POI errors), ``agreement`` (Bland-Altman, ICC, correlations),
``detection`` (ROC, AUC with bootstrap interval, sensitivity and specificity), ``reference``
(reference masks onto the image grid), ``cases`` (per case and label), ``summary`` (cohort
tables) and ``page`` (offline HTML page).
"""
