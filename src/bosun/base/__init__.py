"""The base layer: errors, clock, names, ids, paths and settings. Imports nothing of bosun."""
