"""Exhibits: an open, verifiable digital evidence platform for police forces."""

__version__ = "0.1.0"
TOOL_NAME = "exhibits"
