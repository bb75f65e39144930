"""The hand model that ships with the package (read with importlib.resources; see README.md)."""
