"""Refuse GPL and AGPL packages among Exhibits' runtime dependencies.

Walks the installed dependency closure of ``exhibits[all]`` (test-only packages are not
part of it), reads each distribution's licence metadata and fails on any GPL or AGPL
licence (LGPL is allowed: it permits use as a library). Prints the table it judged.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

from packaging.requirements import Requirement

ROOT = "exhibits"
ROOT_EXTRAS = {"all"}
# Distributions whose metadata does not state a licence, checked by hand (name -> licence).
REVIEWED: dict[str, str] = {}
# Native libraries under a copyleft licence that a wheel may carry inside it, whatever the
# package's own licence says (auditwheel copies them into <package>.libs/).
COPYLEFT_NATIVE = {"libx264": "GPL-2.0-or-later", "libx265": "GPL-2.0-or-later", "libfdk-aac": "non-free"}
# Wheels reviewed by hand despite bundling such a library, and why (see docs/licensing.md).
REVIEWED_BUNDLES = {
    "av": (
        "PyAV is BSD-3-Clause; its manylinux wheels bundle FFmpeg built with libx264/libx265. "
        "faster-whisper, the transcription engine issue 5 prescribes, requires PyAV. "
        "docs/licensing.md says how a force that redistributes Exhibits rebuilds PyAV "
        "against an FFmpeg without GPL parts."
    ),
}
COPYLEFT = re.compile(r"\b(A?GPL|GNU (Affero )?General Public License)", re.IGNORECASE)
LESSER = re.compile(r"\b(LGPL|Lesser General Public|Library General Public)", re.IGNORECASE)


def licence_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    text = (meta.get("License") or "").strip()
    if classifiers:
        return "; ".join(classifiers)
    if text and len(text) < 120:
        return text
    return REVIEWED.get(dist.metadata["Name"].lower(), text.splitlines()[0] if text else "UNKNOWN")


def is_copyleft(licence: str) -> bool:
    parts = re.split(r"\s+OR\s+|;", licence)
    # A dual licence is acceptable when any alternative is permissive.
    return all(COPYLEFT.search(p) and not LESSER.search(p) for p in parts if p.strip())


def closure() -> dict[str, metadata.Distribution]:
    seen: dict[str, metadata.Distribution] = {}
    visited: set[tuple[str, frozenset[str]]] = set()
    pending: list[tuple[str, frozenset[str]]] = [(ROOT, frozenset(ROOT_EXTRAS))]
    while pending:
        name, extras = pending.pop()
        key = name.lower().replace("_", "-")
        if (key, extras) in visited:
            continue
        visited.add((key, extras))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = dist
        environments = [{"extra": e} for e in extras] + [{"extra": ""}]
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate(env) for env in environments):
                continue
            pending.append((req.name, frozenset(req.extras)))
    seen.pop(ROOT, None)
    return seen


def bundled_copyleft(dist: metadata.Distribution) -> list[str]:
    """Copyleft native libraries shipped inside the wheel (e.g. av.libs/libx264-...so)."""
    found = []
    for file in dist.files or []:
        name = file.name
        if ".libs/" in str(file) or name.endswith(".so") or ".so." in name:
            for library, licence in COPYLEFT_NATIVE.items():
                if name.startswith(library):
                    found.append(f"{library} ({licence})")
    return sorted(set(found))


def main() -> int:
    bad = []
    for key, dist in sorted(closure().items()):
        licence = licence_of(dist)
        flag = "REFUSED" if is_copyleft(licence) else "ok"
        bundled = bundled_copyleft(dist)
        if bundled and flag == "ok":
            flag = "REVIEWED" if key in REVIEWED_BUNDLES else "REFUSED"
            licence += f"; bundles {', '.join(bundled)}"
        print(f"{flag:8} {dist.metadata['Name']:32} {dist.version:14} {licence}")
        if flag == "REVIEWED":
            print(f"{'':8} {'':32} {'':14} reviewed: {REVIEWED_BUNDLES[key]}")
        if flag == "REFUSED" and key not in REVIEWED:
            bad.append(key)
    if bad:
        print(f"\nGPL/AGPL packages in the runtime dependencies: {', '.join(bad)}", file=sys.stderr)
        return 1
    print("\nno GPL or AGPL package among the runtime dependencies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
