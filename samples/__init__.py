"""The manifest of public sample photos, shipped with the package (see README.md); no photos."""
