"""Run by the llama.cpp tests in a subprocess (llama.cpp and torch each bring an OpenMP runtime).

stdin: {"model": GGUF, "prompts": [[token ids]], "texts": [prompt text], "n": new tokens,
        "forced": [[token ids]] (optional: continuations to score under teacher forcing)}
stdout: [{"tokens": llama.cpp's tokens of the text, "generated": greedy ids, "seconds": s,
          "forced_argmax": llama.cpp's top-1 token at each position of the forced continuation}]
"""

from __future__ import annotations

import json
import sys
import time

from llama_cpp import Llama


def main() -> None:
    req = json.load(sys.stdin)
    forced = req.get("forced")
    llm = Llama(
        model_path=req["model"],
        n_ctx=req.get("n_ctx", 2048),
        n_threads=2,
        verbose=False,
        seed=0,
        logits_all=bool(forced),
        type_k=req.get("kv_type", 1),
        type_v=req.get("kv_type", 1),
    )
    out = []
    for i, (ids, text) in enumerate(zip(req["prompts"], req["texts"], strict=True)):
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        llm.reset()
        got: list[int] = []
        started = time.perf_counter()
        for tok in llm.generate(ids, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
            if llm.token_eos() == tok or len(got) >= req["n"]:
                break
            got.append(int(tok))
        row = {"tokens": tokens, "generated": got, "seconds": time.perf_counter() - started}
        if forced:
            llm.reset()
            llm.eval(ids + forced[i])
            scores = llm.scores[len(ids) - 1 : len(ids) - 1 + len(forced[i])]
            row["forced_argmax"] = [int(r.argmax()) for r in scores]
        out.append(row)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
