#!/bin/bash
# witness-bench reference run of the untuned embedded model on one GPU, in three device calls made
# back to back (the machine stays warm ~30 s between calls; each call carries at most 64 MiB):
#   here:   split the GGUF into 3 parts (33 MiB) and download the wheels the device lacks:
#           .venv/bin/python -c "from pathlib import Path; from witness_evals.train.model_source import \
#             split_file, default_model_gguf; split_file(default_model_gguf(), Path('.device/parts'), 33*2**20)"
#           put part000 + parts.json + wheels/ (cryptography asn1crypto cffi pycparser gguf tqdm,
#           gordon-to-regorus; cp312 manylinux) in .device/c1, part001 in .device/c2, part002 in .device/c3
#   call 1 (carry .device/c1): mkdir -p /tmp/parts && cp .device/c1/*.part000 .device/c1/*.parts.json /tmp/parts/ &&
#           python3 -m pip install -q --no-index --no-deps --target /tmp/site .device/c1/wheels/*.whl
#   call 2 (carry .device/c2): cp .device/c2/* /tmp/parts/
#   call 3 (carry .device/c3): bash benchmarks/real_run/device_bench_untuned.sh
set -e
export PYTHONPATH=/tmp/site:$PWD/src
cp .device/c3/* /tmp/parts/
python3 -c "
from pathlib import Path
from witness_evals.train.model_source import join_parts
print('joined', join_parts(Path('/tmp/parts/SmolLM2-135M-Instruct.Q4_1.gguf.parts.json'), Path('/tmp/smollm2.gguf')))
"
sha256sum /tmp/smollm2.gguf   # b179c952...0db53
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
export WITNESS_EVALS_CACHE=/tmp/wecache
start=$(date +%s)
python3 -m witness_evals bench --model hf:/tmp/smollm2.gguf --suite default --tiers bare \
  --out "$OUT/untuned-default-bare" --label "SmolLM2-135M untuned" --workers 8 --no-progress 2>&1 | tail -40
echo "wall $(( $(date +%s) - start )) s"
