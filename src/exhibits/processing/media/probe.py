"""Media probe: what a file is (container, codecs, duration, resolution, frame rate) and
what its device recorded (creation time, make and model, GPS), for video, audio and images.

Video and audio go through ffprobe (FFmpeg); images through Pillow with EXIF (HEIC/HEIF
via pi-heif). Nothing is decoded beyond headers, so a decompression bomb is described
(with a warning) rather than expanded. The original's metadata is kept here as facts
even though proxies are made without it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, ClassVar

import orjson

from exhibits.processing.media import metadata as md
from exhibits.processing.media.images import DEFAULT_MAX_PIXELS, open_image
from exhibits.processing.processor import Context, NotApplicable, ProcessingFailed, Processor, Result
from exhibits.processing.tools import explain, run_tool, tool_version

MAKE_TAGS = ("com.apple.quicktime.make", "make", "com.android.manufacturer", "manufacturer")
MODEL_TAGS = ("com.apple.quicktime.model", "model", "com.android.model")
SOFTWARE_TAGS = ("com.apple.quicktime.software", "software", "encoder")
CREATED_TAGS = ("com.apple.quicktime.creationdate", "creation_time", "date")
LOCATION_TAGS = ("com.apple.quicktime.location.ISO6709", "location", "location-eng")


def ffprobe(path: Path, timeout: float | None) -> dict[str, Any]:
    process = run_tool(
        ["ffprobe", "-v", "error", "-hide_banner", "-print_format", "json", "-show_format", "-show_streams",
         "-i", path],
        timeout=timeout,
        what="ffprobe",
    )  # fmt: skip
    try:
        data = orjson.loads(process.stdout)
    except orjson.JSONDecodeError as exc:
        raise ProcessingFailed(f"ffprobe gave an unreadable answer: {explain(process.stderr)}") from exc
    if not data.get("streams") and not data.get("format"):
        raise ProcessingFailed(f"not a media file FFmpeg can read ({explain(process.stderr)})")
    return data


def probe_duration(path: Path, timeout: float = 120) -> float | None:
    """The duration of a media file in seconds (for stills and clips)."""
    return md.number(ffprobe(path, timeout).get("format", {}).get("duration"))


def _first(tags: dict[str, str], names: tuple[str, ...]) -> str | None:
    lowered = {k.lower(): v for k, v in tags.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value:
            return value
    return None


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            value = md.number(side["rotation"])
            if value is not None:
                return round(value) % 360
    value = md.number((stream.get("tags") or {}).get("rotate"))
    return round(-value) % 360 if value is not None else 0


def describe_av(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    fmt = data.get("format") or {}
    tags = md.bounded_tags(fmt.get("tags"))
    warnings_: list[str] = []
    facts: dict[str, Any] = {
        "kind": "av",
        "container": md.text(fmt.get("format_name"), 64),
        "container_name": md.text(fmt.get("format_long_name"), 128),
        "duration": md.number(fmt.get("duration")),
        "bit_rate": int(md.number(fmt.get("bit_rate")) or 0) or None,
        "streams": [],
        "tags": tags,
    }
    video = audio = None
    for stream in (data.get("streams") or [])[:32]:
        kind = stream.get("codec_type")
        entry: dict[str, Any] = {
            "index": stream.get("index"),
            "type": kind,
            "codec": md.text(stream.get("codec_name"), 64),
            "codec_name": md.text(stream.get("codec_long_name"), 128),
            "profile": md.text(stream.get("profile"), 64),
            "duration": md.number(stream.get("duration")),
            "language": md.text((stream.get("tags") or {}).get("language"), 16),
        }
        if kind == "video":
            rotation = _rotation(stream)
            width, height = stream.get("width"), stream.get("height")
            entry.update(
                width=width,
                height=height,
                rotation=rotation,
                fps=md.rational(stream.get("avg_frame_rate")) or md.rational(stream.get("r_frame_rate")),
                pixel_format=md.text(stream.get("pix_fmt"), 32),
                field_order=md.text(stream.get("field_order"), 16),
                attached_picture=bool((stream.get("disposition") or {}).get("attached_pic")),
            )
            if video is None and not entry["attached_picture"]:
                video = entry
        elif kind == "audio":
            entry.update(
                sample_rate=int(md.number(stream.get("sample_rate")) or 0) or None,
                channels=stream.get("channels"),
                channel_layout=md.text(stream.get("channel_layout"), 32),
            )
            audio = audio or entry
        facts["streams"].append(entry)
    facts["has_video"] = video is not None
    facts["has_audio"] = audio is not None
    if video is not None:
        turned = video["rotation"] in (90, 270)
        facts.update(
            video_codec=video["codec"],
            width=video["width"],
            height=video["height"],
            rotation=video["rotation"],
            display_width=video["height"] if turned else video["width"],
            display_height=video["width"] if turned else video["height"],
            fps=video["fps"],
            interlaced=video["field_order"] not in (None, "progressive", "unknown"),
        )
    if audio is not None:
        facts.update(audio_codec=audio["codec"], sample_rate=audio["sample_rate"], channels=audio["channels"])
    stream_tags = {k: v for s in data.get("streams") or [] for k, v in md.bounded_tags(s.get("tags")).items()}
    everything = {**stream_tags, **tags}
    facts["created"] = md.iso_time(_first(everything, CREATED_TAGS))
    facts["device_make"] = _first(everything, MAKE_TAGS)
    facts["device_model"] = _first(everything, MODEL_TAGS)
    facts["software"] = _first(tags, SOFTWARE_TAGS)
    facts["gps"] = md.gps_from_iso6709(_first(everything, LOCATION_TAGS))
    if facts["duration"] is None and video is not None:
        warnings_.append("the container does not state a duration (a stream export or damaged file?)")
    if video is None and audio is None:
        raise NotApplicable("FFmpeg found no audio or video stream in this file")
    return facts, warnings_


def describe_image(path: Path) -> tuple[dict[str, Any], list[str]]:
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = open_image(path, max_pixels=None)  # headers only: describing is safe
        with image:
            facts = _image_facts(image, notes)
    notes += [f"image reader: {w.message}" for w in caught][:10]
    pixels = (facts.get("width") or 0) * (facts.get("height") or 0)
    if pixels > DEFAULT_MAX_PIXELS:
        notes.append(
            f"the image claims {facts['width']}x{facts['height']} pixels, beyond the "
            f"{DEFAULT_MAX_PIXELS // 10**6}-megapixel decoding limit (possible decompression bomb): "
            "described from its headers only"
        )
    return facts, notes


def _image_facts(image: Any, notes: list[str]) -> dict[str, Any]:
    from PIL import ExifTags

    facts: dict[str, Any] = {
        "kind": "image",
        "container": md.text(image.format, 32),
        "width": image.width,
        "height": image.height,
        "mode": md.text(image.mode, 16),
        "frames": int(getattr(image, "n_frames", 1) or 1),
    }
    try:
        exif = image.getexif()
        base = dict(exif.items())
        detail = dict(exif.get_ifd(ExifTags.IFD.Exif).items())
        gps_ifd = dict(exif.get_ifd(ExifTags.IFD.GPSInfo).items())
    except Exception as exc:  # hostile EXIF: say so and describe the rest
        notes.append(
            f"the EXIF metadata is malformed and was not read ({type(exc).__name__}: {str(exc)[:120]})"
        )
        base, detail, gps_ifd = {}, {}, {}
    # HEIF readers apply the file's own rotation (irot) and reset EXIF orientation to 1;
    # what the camera recorded is kept as stored_orientation.
    facts["stored_orientation"] = image.info.get("original_orientation")
    orientation = base.get(0x0112)
    orientation = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1
    turned = orientation in (5, 6, 7, 8)
    facts.update(
        orientation=orientation,
        display_width=image.height if turned else image.width,
        display_height=image.width if turned else image.height,
        device_make=md.text(base.get(0x010F), 128),
        device_model=md.text(base.get(0x0110), 128),
        software=md.text(base.get(0x0131), 128),
        created=md.exif_time(
            detail.get(0x9003) or base.get(0x0132), detail.get(0x9011) or detail.get(0x9010)
        ),
        gps=md.gps_from_exif(gps_ifd),
    )
    names = {**ExifTags.TAGS}
    exif_facts: dict[str, Any] = {}
    for tag, value in list(base.items())[:100] + list(detail.items())[:100]:
        if tag in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, 0x927C):  # pointers, MakerNote blobs
            continue
        name = names.get(tag, f"0x{tag:04x}") if isinstance(tag, int) else str(tag)[:64]
        exif_facts[name] = _exif_value(value)
    facts["exif"] = exif_facts
    if gps_ifd and facts["gps"] is None:
        notes.append("the image has GPS metadata that could not be read as a position")
    return facts


def _exif_value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return md.text(value, 128) if len(value) <= 512 else f"<{len(value)} bytes>"
    if isinstance(value, tuple):
        return [_exif_value(v) for v in value[:32]]
    if isinstance(value, str):
        return md.text(value)
    if isinstance(value, int | float):
        return value if isinstance(value, int) else md.number(value)
    return md.number(value) if md.number(value) is not None else md.text(value)


class MediaProbe(Processor):
    name = "probe"
    version = "1"
    accepts = ("video/*", "audio/*", "image/*", "application/octet-stream", "application/mxf")
    queue = "default"
    timeout_seconds = 120
    memory_limit_mb: ClassVar[int | None] = 2048

    def run(self, ctx: Context) -> Result:
        limit = ctx.time_limit
        if ctx.mime_type.startswith("image/"):
            try:
                facts, notes = describe_image(ctx.input_path)
                facts["tool"] = "Pillow"
                return Result(facts=facts, warnings=notes)
            except ProcessingFailed as image_failure:
                try:  # FFmpeg reads some images Pillow does not
                    data = ffprobe(ctx.input_path, limit)
                    facts, notes = describe_av(data)
                except ProcessingFailed:
                    raise image_failure from None
                if not (facts.get("width") and facts.get("height")):
                    raise image_failure from None
                facts["tool"] = tool_version("ffprobe")
                return Result(facts=facts, warnings=notes)
        else:
            try:
                data = ffprobe(ctx.input_path, limit)
            except ProcessingFailed as exc:
                if ctx.mime_type in self.accepts[3:]:
                    raise NotApplicable(f"not a media file FFmpeg recognises ({exc.reason})") from exc
                raise
        facts, notes = describe_av(data)
        facts["tool"] = tool_version("ffprobe")
        return Result(facts=facts, warnings=notes)
