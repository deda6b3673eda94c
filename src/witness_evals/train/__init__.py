"""LoRA fine-tuning from one configuration (`config`): PyTorch + PEFT on CUDA and CPU (`trainer`,
`step`, `model`, `loss`, `packing`, `attention`, `checkpoint`), or mlx-lm on Apple silicon
(`mlx_backend`). `model_source` finds the base (the embedded SmolLM2 GGUF, a GGUF, a Hugging Face
folder), `chat_templates` gives a base without a template one, `quantize`/`mlx_quantize` hold the base
in fewer bits (QLoRA), `preflight` refuses what cannot run before any weights load, `data` turns chat
JSONL into token ids with assistant-only labels.
"""
