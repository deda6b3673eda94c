#!/usr/bin/env bash
# Prepare, on the CPU machine, what device_qlora.sh carries (all under git-ignored folders):
#   .whl/qlora/      bitsandbytes 0.50.2 for Python 3.12 x86-64, trimmed to its CPU and CUDA 13.0/13.2
#                    libraries (the device's torch is cu130; the full wheel is 43 MB), and the gguf wheel
#   out/qlora-carry/p1, p2   the embedded SmolLM2 GGUF (98 MB) in two sha256-checked parts (48 MiB + rest)
#   out/qlora-carry/data     a generated dataset (train.jsonl + valid.jsonl, tar.gz)
# Sizes per call (64 MiB limit, the ~7 MB work tree included): speed 7.2 + 50.3 MB, quality 48.0 + ~6 MB.
# Usage: [N=20000] bash benchmarks/real_run/prep_qlora.sh   (from the repo root; ~2 min)
#        ONLY=wheels bash benchmarks/real_run/prep_qlora.sh   (just .whl/qlora: the GGUF and the dataset come
#        from device_reference.sh's calls on the same warm machine)
set -euo pipefail
PY=${PY:-.venv/bin/python}
rm -rf .whl/qlora out/qlora-carry && mkdir -p .whl/qlora
DL=$(mktemp -d)
PLAT="--only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64"
$PY -m pip download -q --no-deps $PLAT -d "$DL" bitsandbytes==0.50.2 gguf==0.19.0
$PY - "$DL" <<'PYEOF'
import sys, zipfile
from pathlib import Path
dl = Path(sys.argv[1])
wheel = next(dl.glob("bitsandbytes-*.whl"))
keep = ("libbitsandbytes_cpu.so", "libbitsandbytes_cuda130.so", "libbitsandbytes_cuda132.so")
with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(".whl/qlora/bitsandbytes-0.50.2-trimmed.zip", "w", zipfile.ZIP_DEFLATED) as out:
    for item in src.infolist():
        name = item.filename.rsplit("/", 1)[-1]
        if name.startswith("libbitsandbytes_") and name not in keep:
            continue
        out.writestr(item, src.read(item))
print("bitsandbytes trimmed:", Path(".whl/qlora/bitsandbytes-0.50.2-trimmed.zip").stat().st_size, "bytes")
PYEOF
cp "$DL"/gguf-*.whl .whl/qlora/
rm -rf "$DL"
[ "${ONLY:-}" = wheels ] && { du -sh .whl/qlora; exit 0; }
mkdir -p out/qlora-carry/p1 out/qlora-carry/p2 out/qlora-carry/data
PYTHONPATH=src $PY - <<'PYEOF'
import shutil
from pathlib import Path
from witness_evals.train.model_source import default_model_gguf, split_file
parts = Path("out/qlora-carry/parts")
manifest = split_file(default_model_gguf(), parts, max_bytes=48 * 1024 * 1024)
files = sorted(parts.glob("*.part[0-9][0-9][0-9]"))
assert len(files) == 2, files
shutil.move(str(files[0]), "out/qlora-carry/p1/")
shutil.move(str(files[1]), "out/qlora-carry/p2/")
shutil.move(str(manifest), "out/qlora-carry/p2/")
parts.rmdir()
PYEOF
GEN=$(mktemp -d)
PYTHONPATH=src $PY -m witness_evals generate --out "$GEN" --n "${N:-20000}" --seed 0 --workers 2 --no-progress
tar czf out/qlora-carry/data/data.tar.gz -C "$GEN" train.jsonl valid.jsonl
rm -rf "$GEN"
du -sh .whl/qlora out/qlora-carry/*
