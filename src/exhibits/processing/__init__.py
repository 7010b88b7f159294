"""Processing: background jobs that describe, convert and analyse content."""
