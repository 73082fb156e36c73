"""Data files of the agent package: lexicons and technology fingerprints (see README.md)."""
