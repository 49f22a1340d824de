"""The nerspec version (a leaf: fingerprints record it without importing the package's public API)."""

__version__ = "0.1.0"
