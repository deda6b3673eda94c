#!/usr/bin/env bash
# witness-bench reference runs on one GPU (issue #7), the tuned model's figures (#9) and `--fix 2` (#10),
# in device calls made back to back on one warm machine (it stays warm ~30 s between calls; each call
# carries at most 64 MiB, so the 98 MB GGUF travels in three parts). One job per call, nothing in the
# background: a training run beside an inference engine ran out of GPU memory (2026-12-05).
#
# Here, before the calls:
#   .venv/bin/python -c "from pathlib import Path; from witness_evals.train.model_source import \
#     split_file, default_model_gguf; split_file(default_model_gguf(), Path('.device/parts'), 33*2**20)"
#   .device/c1 = part000 + parts.json + wheels/ (cryptography asn1crypto cffi pycparser gguf tqdm
#                gordon-to-regorus jsonschema jsonschema-specifications referencing rpds-py datasketch;
#                cp312 manylinux: the packages the device image lacks)
#   .device/c2 = part001 + gen20k.tar.xz (train.jsonl valid.jsonl manifest.json of
#                `witness-evals generate --out /tmp/gen20k --n 20000 --seed 0 --workers 2`)
#   .device/c3 = part002
# Calls (mode, carry), each `bash benchmarks/real_run/device_reference.sh MODE [SECONDS]`:
#   setup    .device/c1  park part 1, install the wheels into /tmp/site
#   park     .device/c2  park part 2, unpack the dataset
#   join     .device/c3  join the GGUF (sha256 checked), convert it once
#   speed    (none)      answer speed, plain vs static (with and without the loop stop), on the same 64
#                        requests of the suite, in one process
#   untuned  (none)      witness-bench, untuned (engine=static), for SECONDS (default 540); resumable:
#                        call again until it prints its summary
#   train    (none)      README recipe on the dataset; resumable: call again if it stops at its limit
#   tuned    (none)      witness-bench on the tuned model, for SECONDS; resumable like `untuned`
#   fix2     (none)      --fix 2 from the finished tuned run's answers, for SECONDS; resumable
# Measured on one H100 (2026-12-05): the static engine answers the suite at about 4,000 generated
# tokens/s, so each model's whole default suite (1,622 answers, about 1.5 M tokens untuned) needs two
# calls; training takes 430 s of one call. Results come back in $OUT (at most 8 files of 16 MiB):
# *.log, speed.json, untuned.tar.xz, tuned.tar.xz, fix2.tar.xz (run directories), train.tar.xz.part-*
# (metrics, summary, loss plot, config, adapter; `cat train.tar.xz.part-* | tar xJ` joins them).
set -uo pipefail
MODE=${1:?setup, park, join, speed, untuned, train, tuned or fix2}
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 WITNESS_EVALS_CACHE=/tmp/wecache
GGUF=/tmp/smollm2.gguf
RUNS=/tmp/runs
mkdir -p /tmp/parts $RUNS

# prompts per batch of the static engine (BATCH=...): 256 ran at ~32 ms a decoding step on the H100
# (2026-12-05), far from memory-bound for a 135M model, so a bigger batch should answer more per
# second; 512 rows x 3,072 cached tokens is 36 GB of KV cache
BATCH=${BATCH:-512}

bench() {  # bench NAME SPEC LABEL SECONDS [extra options]: resumable, partial results kept
  local name=$1 spec=$2 label=$3 seconds=$4; shift 4
  local resume=(); [ -f $RUNS/$name/run.json ] && resume=(--resume)
  local t0; t0=$(date +%s)
  timeout -k 10 "$seconds" python3 -m witness_evals bench --model "$spec" --suite default --out $RUNS/$name \
    --label "$label" --workers 14 --batch-size "$BATCH" --no-progress "${resume[@]}" "$@" 2>&1 | grep -v -i warn | tail -40 | tee $OUT/$name.log
  echo "$name wall $(($(date +%s) - t0)) s" | tee -a $OUT/$name.log
  tar cJf $OUT/$name.tar.xz -C $RUNS $name
}

speed() {  # speed VARIANTS SECONDS [options]: benchmarks/inference_speed.py on the suite's requests
  local variants=$1 seconds=$2; shift 2
  timeout -k 10 "$seconds" python3 benchmarks/inference_speed.py --model hf:$GGUF --suite default \
    --max-new-tokens 1536 --variants "$variants" --json $OUT/speed.json "$@" 2>&1 | grep -v -i warn |
    tail -12 | tee -a $OUT/speed.log
}

case $MODE in
setup)
  cp .device/c1/*.part000 .device/c1/*.parts.json /tmp/parts/ || exit 4
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .device/c1/wheels/*.whl || exit 3
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import sys, torch, transformers, peft, cryptography, regorus, gguf
print(sys.version.split()[0], "torch", torch.__version__, "transformers", transformers.__version__, "peft", peft.__version__)'
  ;;
park)
  cp .device/c2/*.part001 /tmp/parts/ || exit 4
  mkdir -p /tmp/data && tar xJf .device/c2/gen20k.tar.xz -C /tmp/data && wc -l /tmp/data/*.jsonl
  ;;
join)
  cp .device/c3/*.part002 /tmp/parts/ || exit 4
  python3 -c "from pathlib import Path; from witness_evals.train.model_source import join_parts
join_parts(Path('/tmp/parts/SmolLM2-135M-Instruct.Q4_1.gguf.parts.json'), Path('$GGUF'))" || exit 5
  sha256sum $GGUF   # b179c952...0db53
  python3 -c "from witness_evals.train.model_source import resolve_model; print(resolve_model('$GGUF'))" 2>&1 | tail -1
  ;;
speed)
  speed plain,static-full,static "${2:-500}" --n 64
  ;;
untuned)
  bench untuned "hf:$GGUF,engine=static" "SmolLM2-135M-Instruct untuned" "${2:-540}"
  ;;
train)
  resume=(--no-resume); [ -d /tmp/run/checkpoints ] && resume=(--resume)
  T0=$(date +%s)
  timeout -k 10 "${2:-560}" python3 -m witness_evals train --model $GGUF --data /tmp/data --out /tmp/run "${resume[@]}" \
    --set iters=1180 --set batch_size=16 --set max_seq_length=4096 --set learning_rate=2e-4 \
    --set lr_schedule=cosine --set warmup_steps=30 --set lora_rank=16 --set lora_alpha=32 --set lora_layers=30 \
    --set eval_every=100 --set val_batches=24 --set save_every=100 --set log_every=50 --set progress=false \
    2>&1 | grep -v -i "warn\|dynamo\|This call\|File \"\|return _\|found = " | tee -a $OUT/train.log
  echo "train wall $(($(date +%s) - T0)) s" | tee -a $OUT/train.log
  (cd /tmp/run && tar cf - --exclude=checkpoints --exclude=best . | xz -1 | split -b 15M - $OUT/train.tar.xz.part-)
  ;;
tuned)
  bench tuned "hf:$GGUF,adapter=/tmp/run,engine=static" "SmolLM2-135M-Instruct tuned (README recipe)" "${2:-540}"
  ;;
fix2)
  bench fix2 "hf:$GGUF,adapter=/tmp/run,engine=static" "SmolLM2-135M-Instruct tuned, --fix 2" "${2:-540}" --fix 2 \
    --first-answers $RUNS/tuned
  ;;
*)
  echo "unknown mode $MODE"; exit 2
  ;;
esac
