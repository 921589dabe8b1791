"""cmokit: data extraction for realist reviews."""

__version__ = "0.1.0"
