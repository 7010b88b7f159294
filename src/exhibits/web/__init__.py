"""The HTTP face of Exhibits: the REST API under /api/v1, tus uploads, health and metrics."""
