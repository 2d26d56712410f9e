"""Reading and writing images and tables, always atomically; safe file names from identifiers."""
