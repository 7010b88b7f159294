"""Resumable uploads (tus 1.0): partial bytes kept aside until complete, then ingested as evidence."""
