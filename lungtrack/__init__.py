"""lungtrack: quantitative lesion tracking in the lungs on serial chest CT."""

__version__ = "0.1.0"
