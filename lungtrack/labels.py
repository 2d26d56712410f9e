"""Label values of lungtrack's masks, the one place that defines them.

Every mask is a uint8 label map on its CT's grid (arrays (z, y, x)), 0 = background:
lungs 1 right, 2 left; lesions 1 GGO, 2 consolidation; lobes 1 right upper, 2 right middle,
3 right lower, 4 left upper, 5 left lower (the TotalSegmentator / lungmask LTRCLobes order).
"""

RIGHT, LEFT = 1, 2
#: Lung label -> side name.
LUNGS = {RIGHT: "right", LEFT: "left"}

GGO, CONSOLIDATION = 1, 2
#: Lesion label -> name (as in the metrics' ``ggo_ml``, ``consolidation_ml``).
LESIONS = {GGO: "ggo", CONSOLIDATION: "consolidation"}

RIGHT_UPPER, RIGHT_MIDDLE, RIGHT_LOWER, LEFT_UPPER, LEFT_LOWER = 1, 2, 3, 4, 5
#: Lobe label -> name (region names in ``regions.csv`` and the metrics' ``lobes``).
LOBES = {RIGHT_UPPER: "right_upper_lobe", RIGHT_MIDDLE: "right_middle_lobe", RIGHT_LOWER: "right_lower_lobe",
         LEFT_UPPER: "left_upper_lobe", LEFT_LOWER: "left_lower_lobe"}
#: Lung label -> the labels of its lobes.
LOBES_OF_LUNG = {RIGHT: (RIGHT_UPPER, RIGHT_MIDDLE, RIGHT_LOWER), LEFT: (LEFT_UPPER, LEFT_LOWER)}
#: Label-map roles of the lobes (``nnunet.labels``, ``dataset.json``), in the order of their labels (1..5).
LOBE_ROLES = ("lobe_right_upper", "lobe_right_middle", "lobe_right_lower", "lobe_left_upper", "lobe_left_lower")
