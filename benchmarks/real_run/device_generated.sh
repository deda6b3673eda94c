#!/usr/bin/env bash
# Real run on a generated dataset, device call 2 (call 1 = device_call1.sh parks GGUF part 1 in /tmp).
# Joins the GGUF (sha256-checked), installs the gguf wheel, unpacks the dataset, trains LoRA on
# SmolLM2-135M-Instruct for at most TRAIN_S seconds, then writes greedy answers of the untuned and the
# tuned model to the test questions (scored afterwards on the CPU machine by score_answers.py).
# Carry: .carry/p2 .carry/gen .whl      Usage: bash benchmarks/real_run/device_generated.sh ITERS TRAIN_S LIMIT
set -uo pipefail
ITERS=${1:-2000}; TRAIN_S=${2:-380}; LIMIT=${3:-600}
export PYTHONPATH=src PYTHONUNBUFFERED=1 WITNESS_EVALS_CACHE=/tmp/cache
python3 -c 'import gguf' 2>/dev/null || {
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=src:/tmp/site || exit 3; }
if [ ! -f /tmp/gguf/joined.ok ]; then
  cp .carry/p2/* /tmp/gguf/ || exit 4
  python3 -c 'from pathlib import Path; from witness_evals.train.model_source import join_parts
print(join_parts(Path("/tmp/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.parts.json")))' > /tmp/gguf/joined.ok || exit 5
fi
GGUF=$(cat /tmp/gguf/joined.ok); sha256sum "$GGUF"
MODEL_DIR=$(python3 -c "from witness_evals.train.model_source import resolve_model; print(resolve_model('$GGUF'))") || exit 6
mkdir -p /tmp/data && tar xzf .carry/gen/data.tar.gz -C /tmp/data && wc -l /tmp/data/*.jsonl
mkdir -p $OUT/run
T0=$(date +%s)
timeout $TRAIN_S python3 -m witness_evals train --model "$GGUF" --data /tmp/data --out /tmp/run --no-resume \
  --set iters=$ITERS --set batch_size=16 --set learning_rate=2e-4 --set lr_schedule=cosine --set warmup_steps=30 \
  --set lora_rank=16 --set lora_alpha=32 --set lora_layers=30 --set eval_every=100 --set val_batches=-1 \
  --set save_every=100 --set log_every=10 --set progress=false 2>&1 | tee $OUT/train.log
echo "train wall: $(( $(date +%s) - T0 )) s"
cp /tmp/run/metrics.jsonl /tmp/run/summary.json /tmp/run/loss.png /tmp/run/config.yaml $OUT/run/ 2>/dev/null
ADAPTER=/tmp/run/adapter; [ -d $ADAPTER ] || ADAPTER=/tmp/run/best
echo "adapter: $ADAPTER"
python3 benchmarks/real_run/answer.py --model-dir "$MODEL_DIR" --adapter $ADAPTER --data /tmp/data --split test \
  --limit $LIMIT --out $OUT 2>&1 | grep -v Warning
