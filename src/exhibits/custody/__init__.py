"""Custody: the append-only, tamper-evident log of everything done to evidence."""
