#!/usr/bin/env bash
# Real run, device call 1 of 2: park GGUF part 1 in /tmp (the machine stays warm ~30 s) and
# report the device's software. Carry: .carry/p1
set -euo pipefail
mkdir -p /tmp/gguf && cp .carry/p1/* /tmp/gguf/ && ls -l /tmp/gguf
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c 'import sys, torch, transformers, peft; print(sys.version.split()[0], torch.__version__, transformers.__version__, peft.__version__)'
python3 -m pip show gguf 2>/dev/null | head -2 || echo "gguf: not installed"
