"""Redaction: sets of regions, spans and decisions layered over an exhibit, reviewed by people
and rendered into new derivatives; the original is never touched."""
