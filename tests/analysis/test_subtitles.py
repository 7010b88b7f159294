from exhibits.analysis.subtitles import clock, to_srt, to_text, to_webvtt

SEGMENTS = [
    {"start": 0.0, "end": 2.5, "text": "Stop <there> & wait"},
    {"start": 3725.042, "end": 3727.9, "text": "an hour\n\nlater --> on"},
]


def test_clock_formats():
    assert clock(0) == "00:00:00.000"
    assert clock(3725.0424) == "01:02:05.042"
    assert clock(59.9996, ",") == "00:01:00,000"


def test_webvtt_escapes_markup_and_keeps_cues_on_one_line():
    vtt = to_webvtt(SEGMENTS)
    assert vtt.splitlines()[:5] == [
        "WEBVTT",
        "",
        "1",
        "00:00:00.000 --> 00:00:02.500",
        "Stop &lt;there&gt; &amp; wait",
    ]
    assert "01:02:05.042 --> 01:02:07.900\nan hour later --&gt; on\n" in vtt


def test_srt_and_text():
    srt = to_srt(SEGMENTS)
    assert srt.splitlines()[:3] == ["1", "00:00:00,000 --> 00:00:02,500", "Stop <there> & wait"]
    assert "an hour later -> on" in srt
    assert to_text(SEGMENTS) == "[00:00:00] Stop <there> & wait\n[01:02:05] an hour later --> on\n"
