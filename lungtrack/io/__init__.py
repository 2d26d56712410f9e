"""Reading and writing images and tables, always atomically."""
