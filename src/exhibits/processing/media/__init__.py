"""The built-in processors: describe, make playable, extract text and members."""

from __future__ import annotations

from exhibits.processing.media.archives import ArchiveMembers
from exhibits.processing.media.documents import DocumentText
from exhibits.processing.media.email import EmailParts
from exhibits.processing.media.images import ImageProxy
from exhibits.processing.media.probe import MediaProbe
from exhibits.processing.media.video import AudioTrack, VideoProxy

BUILT_IN = [MediaProbe, VideoProxy, AudioTrack, ImageProxy, DocumentText, EmailParts, ArchiveMembers]

__all__ = [
    "BUILT_IN",
    "ArchiveMembers",
    "AudioTrack",
    "DocumentText",
    "EmailParts",
    "ImageProxy",
    "MediaProbe",
    "VideoProxy",
]
