#!/usr/bin/env bash
# Real run on a generated dataset (device calls 2 and 3; call 1 = device_call1.sh parks GGUF part 1).
#   train  (carry .carry/p2 .carry/gen .whl): join the GGUF (sha256-checked), install the gguf wheel, unpack
#          the dataset (data.tar.gz + test.meta.jsonl), train LoRA on SmolLM2-135M-Instruct for at most TRAIN_S seconds;
#   answer (same warm machine, no carry): greedy answers of MODELS (untuned,tuned) to the first LIMIT test
#          questions, scored afterwards on the CPU machine by score_answers.py.
# Usage: bash benchmarks/real_run/device_generated.sh train ITERS TRAIN_S
#        bash benchmarks/real_run/device_generated.sh answer LIMIT MODELS
set -uo pipefail
MODE=$1
export PYTHONPATH=src PYTHONUNBUFFERED=1 WITNESS_EVALS_CACHE=/tmp/cache
python3 -c 'import gguf' 2>/dev/null || {
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    2>/dev/null; export PYTHONPATH=src:/tmp/site; }
if [ ! -f /tmp/gguf/joined.ok ]; then
  cp .carry/p2/* /tmp/gguf/ || exit 4
  python3 -c 'from pathlib import Path; from witness_evals.train.model_source import join_parts
print(join_parts(Path("/tmp/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.parts.json")))' > /tmp/gguf/joined.ok || exit 5
fi
GGUF=$(cat /tmp/gguf/joined.ok)
MODEL_DIR=$(python3 -c "from witness_evals.train.model_source import resolve_model; print(resolve_model('$GGUF'))") || exit 6
if [ "$MODE" = train ]; then
  ITERS=${2:-1180}; TRAIN_S=${3:-420}
  sha256sum "$GGUF"
  mkdir -p /tmp/data && tar xzf .carry/gen/data.tar.gz -C /tmp/data && cp .carry/gen/test.meta.jsonl /tmp/data/ \
    && wc -l /tmp/data/*.jsonl
  mkdir -p $OUT/run
  T0=$(date +%s)
  timeout $TRAIN_S python3 -m witness_evals train --model "$GGUF" --data /tmp/data --out /tmp/run --no-resume \
    --set iters=$ITERS --set batch_size=16 --set max_seq_length=4096 --set learning_rate=2e-4 \
    --set lr_schedule=cosine --set warmup_steps=30 --set lora_rank=16 --set lora_alpha=32 --set lora_layers=30 \
    --set eval_every=100 --set val_batches=24 --set save_every=100 --set log_every=10 --set progress=false \
    2>&1 | tee $OUT/train.log
  echo "train wall: $(( $(date +%s) - T0 )) s"
  cp /tmp/run/metrics.jsonl /tmp/run/summary.json /tmp/run/loss.png /tmp/run/config.yaml $OUT/run/ 2>/dev/null
else
  LIMIT=${2:-600}; MODELS=${3:-untuned,tuned}
  ADAPTER=/tmp/run/adapter; [ -d $ADAPTER ] || ADAPTER=/tmp/run/best
  echo "adapter: $ADAPTER"
  python3 benchmarks/real_run/answer.py --model-dir "$MODEL_DIR" --adapter $ADAPTER --data /tmp/data --split test \
    --limit $LIMIT --models $MODELS --out $OUT 2>&1 | grep --line-buffered -v Warning
fi
