"""Model specs: parsing, bad specs as one-line InputErrors, and a light package import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from witness_evals.common.errors import InputError
from witness_evals.inference import GenerationSettings, ModelSpec, Request, load_backend, parse_spec


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("default", ModelSpec("hf", "default", {})),
        ("hf:default", ModelSpec("hf", "default", {})),
        ("hf:/m/dir", ModelSpec("hf", "/m/dir", {})),
        (
            "hf:/m/dir,adapter=runs/r1,engine=batched",
            ModelSpec("hf", "/m/dir", {"adapter": "runs/r1", "engine": "batched"}),
        ),
        ("hf:/m,gguf=model.Q4.gguf", ModelSpec("hf", "/m", {"gguf": "model.Q4.gguf"})),
        ("hf:/odd,name/dir,dtype=bf16", ModelSpec("hf", "/odd,name/dir", {"dtype": "bf16"})),
        ("hf:/m,kv_memory=0.4", ModelSpec("hf", "/m", {"kv_memory": "0.4"})),
        ("hf:/m,stop_loops=0", ModelSpec("hf", "/m", {"stop_loops": "0"})),
        (
            "openai:http://127.0.0.1:8000/v1/#my/model",
            ModelSpec("openai", "my/model", {"base_url": "http://127.0.0.1:8000/v1"}),
        ),
        ("ollama:qwen2.5:0.5b", ModelSpec("ollama", "qwen2.5:0.5b", {})),
        (
            "ollama:llama3@http://gpu-box:11434",
            ModelSpec("ollama", "llama3", {"host": "http://gpu-box:11434"}),
        ),
        ("mlx:/m,adapter=/a", ModelSpec("mlx", "/m", {"adapter": "/a"})),
        ("answers:out/answers.jsonl", ModelSpec("answers", "out/answers.jsonl", {})),
    ],
)
def test_parse_spec(text: str, expected: ModelSpec) -> None:
    assert parse_spec(text) == expected
    assert parse_spec(text).options == expected.options


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("gpt4", "no scheme"),
        ("foo:bar", "unknown scheme 'foo'"),
        ("hf:", "nothing after hf:"),
        ("hf:/m,colour=red", "unknown option 'colour'"),
        ("hf:/m,engine=warp", "engine must be one of"),
        ("hf:/m,dtype=int3", "dtype must be one of"),
        ("hf:/m,kv_memory=0", "kv_memory must be a number in (0, 1]"),
        ("hf:/m,kv_memory=half", "kv_memory must be a number in (0, 1]"),
        ("hf:/m,stop_loops=yes", "stop_loops must be 0 or 1"),
        ("hf:/m,stages=2", "stages must be 0 or 1"),
        ("hf:/m,packed_gqa=on", "packed_gqa must be 0 or 1"),
        ("hf:/m,adapter=", "has no value"),
        ("hf:/m,adapter=a,adapter=b", "given twice"),
        ("mlx:/m,gguf=x.gguf", "unknown option 'gguf'"),
        ("openai:http://127.0.0.1:8000/v1", "expected openai:BASE_URL#MODEL"),
        ("openai:http://127.0.0.1:8000/v1#", "expected openai:BASE_URL#MODEL"),
        ("openai:127.0.0.1:8000#m", "not an http(s) URL"),
        ("ollama:@http://h:1", "no model name"),
    ],
)
def test_bad_specs_are_one_line_input_errors(text: str, needle: str) -> None:
    with pytest.raises(InputError) as err:
        parse_spec(text)
    message = str(err.value)
    assert needle in message
    assert text in message  # names the spec
    assert "\n" not in message


def test_missing_paths_fail_at_load_naming_the_spec(tmp_path: Path) -> None:
    for spec, needle in [
        (f"hf:{tmp_path}/absent", "no such file or directory"),
        (f"mlx:{tmp_path}/absent", "no such file or directory"),
        (f"answers:{tmp_path}/absent.jsonl", "no such answers file"),
        (f"hf:{tmp_path},gguf=absent.gguf", "no such file or directory"),
        (f"hf:{tmp_path}", "not a Hugging Face model dir"),
    ]:
        with pytest.raises(InputError) as err:
            load_backend(spec)
        assert needle in str(err.value), spec
        assert spec in str(err.value) or str(tmp_path) in str(err.value)
        assert "\n" not in str(err.value)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        GenerationSettings(max_new_tokens=0)
    with pytest.raises(ValueError):
        GenerationSettings(temperature=-1)
    with pytest.raises(ValueError):
        GenerationSettings(top_p=0)
    assert GenerationSettings().greedy and not GenerationSettings(temperature=0.7).greedy
    assert Request("a", [], max_new_tokens=5).budget(GenerationSettings()) == 5
    assert Request("a", []).budget(GenerationSettings(max_new_tokens=9)) == 9


def test_import_is_light() -> None:
    code = (
        "import sys, witness_evals.inference as i; i.parse_spec('hf:default'); "
        "print(sorted(m for m in ('torch', 'transformers', 'httpx', 'mlx', 'peft') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
