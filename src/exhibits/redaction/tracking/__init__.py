"""Following regions through video: detections linked into tracks, and assisted tracking."""
