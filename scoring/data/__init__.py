"""Lookup tables shipped with the scoring package: industries, countries, technologies, CSV headers."""
