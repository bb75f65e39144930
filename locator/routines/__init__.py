"""The routines that ship with the package, one TOML file each (see locator.routine_files)."""
