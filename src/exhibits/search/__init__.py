"""Search across everything a user may see, and links between cases."""
