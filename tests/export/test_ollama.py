"""Ollama TEMPLATEs: the Go-template renderer against Go's rules, each family against the vendors'
Jinja chat templates (rendered by transformers), and the Modelfile for each family."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from witness_evals.common.errors import InputError
from witness_evals.export.gotemplate import GoTemplateError, execute, render_ollama
from witness_evals.export.ollama import (
    CHATML,
    DEFAULT_SYSTEM,
    GEMMA,
    LLAMA3,
    LLAMA31,
    PROBES,
    modelfile,
    template_family,
)

TEMPLATES = Path(__file__).parent / "templates"
CONVERSATIONS = [  # not the probes the export detects with: these check the translation independently
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    [
        {"role": "system", "content": "You review witness policies.\nAnswer with JSON."},
        {"role": "user", "content": "Is `{{ .Content }}` or {% raw %} special?"},
        {"role": "assistant", "content": '```json\n{"steps": {"build": {}}}\n```'},
        {"role": "user", "content": "Sign it: witness sign -f p.json -o p.signed.json -k key.pem — ok?"},
        {"role": "assistant", "content": "Yes.\n\nAlso verify with `witness verify`."},
        {"role": "user", "content": "Merci, ça marche"},
    ],
]


# ---------------------------------------------------------------- the Go template subset


@pytest.mark.parametrize(
    ("template", "data", "want"),
    [
        ("a  {{- 1 -}}  b", {}, "a1b"),  # trim markers eat all adjacent white space
        ("a \n{{- /* note */ -}}\n b", {}, "ab"),
        ("{{ $x := 0 }}{{ range $i, $v := .L }}{{ $x = $v }}{{ end }}{{ $x }}", {"L": [3, 4]}, "4"),
        ("{{ range $i, $v := .L }}{{ $i }}={{ $v }};{{ else }}none{{ end }}", {"L": ["a", "b"]}, "0=a;1=b;"),
        ("{{ range .L }}{{ . }}{{ else }}none{{ end }}", {"L": []}, "none"),
        ('{{ and 1 0 2 }}|{{ or 0 "" }}|{{ or 0 "x" }}|{{ not "" }}', {}, "0||x|true"),
        ('{{ if eq .R "user" "system" }}u{{ else if .R }}o{{ else }}-{{ end }}', {"R": "system"}, "u"),
        ('{{ if eq .R "user" }}u{{ else if .R }}o{{ else }}-{{ end }}', {"R": ""}, "-"),
        ('{{ printf "%s\\n%d%%" .A 7 }}', {"A": "x"}, "x\n7%"),
        (
            "{{ (index .M 1).Role }} {{ len .M }} {{ len (slice .M 1) }}",
            {"M": [{"Role": "a"}, {"Role": "b"}]},
            "b 2 1",
        ),
        ("{{ if $.T }}{{ .X }}{{ end }}", {"T": True, "X": "<no escaping>"}, "<no escaping>"),
    ],
)
def test_go_template_rules(template: str, data: dict[str, Any], want: str) -> None:
    assert execute(template, data) == want


@pytest.mark.parametrize(
    "template",
    [
        "{{ .A | printf }}",
        "{{ with .A }}x{{ end }}",
        "{{ nosuch 1 }}",
        "{{ if 1 }}x",
        "{{ end }}",
        "{{ .Nope }}",
    ],
)
def test_go_templates_outside_the_subset_are_refused(template: str) -> None:
    with pytest.raises(GoTemplateError):
        execute(template, {"A": 1})


def test_ollama_collates_messages_like_ollama() -> None:
    got = render_ollama(
        "{{ .System }}|{{ range .Messages }}{{ .Role }}:{{ .Content }};{{ end }}",
        [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
        ],
    )
    assert got == "S|system:S;user:a\n\nb;"


# ---------------------------------------------------------------- each family, by hand


@pytest.mark.parametrize(
    ("family", "want"),
    [
        (CHATML, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"),
        (
            LLAMA3,
            "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>"
            "\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        ),
        (
            LLAMA31,
            "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
        ),
        (GEMMA, "<start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\n"),
    ],
)
def test_each_family_renders_its_format(family: Any, want: str) -> None:
    assert (
        render_ollama(family.template, [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}])
        == want
    )


def test_gemma_without_a_system_turn_and_with_history() -> None:
    got = render_ollama(
        GEMMA.template,
        [
            {"role": "user", "content": "U1"},
            {"role": "assistant", "content": "A1"},
            {"role": "user", "content": "U2"},
        ],
    )
    assert got == (
        "<start_of_turn>user\nU1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n"
        "<start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\n"
    )


# ---------------------------------------------------------------- against the vendors' Jinja templates


@pytest.fixture(scope="module")
def llama3_tok(tmp_path_factory: pytest.TempPathFactory, smol_tok_dir: Path) -> Any:
    """A tokenizer with Llama 3's special tokens and BOS (added to plain text, as Llama's and Gemma's are)."""
    from tinyruns import llama3_tokenizer
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(
        str(llama3_tokenizer(tmp_path_factory.mktemp("l3tok"), smol_tok_dir))
    )


def _jinja(tok: Any, template: str, messages: list[dict[str, str]], **extra: str) -> str:
    text = str(
        tok.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, chat_template=template, **extra
        )
    )
    assert text.startswith(tok.bos_token)  # the tokenizer adds BOS itself (llama.cpp: add_bos_token)
    return text[len(tok.bos_token) :]


@pytest.mark.parametrize(
    ("file", "family", "system", "extra"),
    [
        ("llama3_2.jinja", LLAMA31, True, {"date_string": "26 Jul 2024"}),
        ("gemma3.jinja", GEMMA, True, {}),
        ("gemma2.jinja", GEMMA, False, {}),
    ],
)
def test_vendor_templates_are_reproduced(
    llama3_tok: Any, file: str, family: Any, system: bool, extra: dict[str, str]
) -> None:
    template = (TEMPLATES / file).read_text(encoding="utf-8")
    found = template_family(llama3_tok, template)
    assert found.family is family and found.system is system
    for messages in CONVERSATIONS:
        if not system:
            messages = [m for m in messages if m["role"] != "system"]
        assert render_ollama(family.template, messages) == _jinja(llama3_tok, template, messages, **extra)


def test_llama3_and_builtin_templates(llama3_tok: Any) -> None:
    from tinyruns import LLAMA3_TEMPLATE

    from witness_evals.train.chat_templates import BUILTIN

    cases = [(LLAMA3_TEMPLATE, LLAMA3), (BUILTIN["llama3"], LLAMA3), (BUILTIN["gemma"], GEMMA)]
    for template, family in cases:
        assert template_family(llama3_tok, template).family is family
        for messages in CONVERSATIONS:
            assert render_ollama(family.template, messages) == _jinja(llama3_tok, template, messages)


def test_smollm2_template_is_chatml(smol_tok_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(smol_tok_dir))
    assert template_family(tok).family is CHATML
    for messages in CONVERSATIONS:
        assert render_ollama(CHATML.template, messages) == tok.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )


def test_unknown_and_near_miss_templates_are_refused(llama3_tok: Any, smol_tok_dir: Path) -> None:
    from transformers import AutoTokenizer

    inst = (TEMPLATES / "inst.jinja").read_text(encoding="utf-8")
    with pytest.raises(InputError, match=r"not recognised .*\[INST\]") as info:
        template_family(llama3_tok, inst)
    assert "\n" not in str(info.value)
    smol = AutoTokenizer.from_pretrained(str(smol_tok_dir))
    near = str(smol.chat_template).replace("'<|im_end|>' + '\n'", "'<|im_end|>' + '\n\n'")  # one more newline
    assert near != smol.chat_template
    with pytest.raises(InputError, match="not recognised"):
        template_family(smol, near)
    for messages in PROBES:  # and the probes would have caught it on every conversation
        assert render_ollama(CHATML.template, messages) != smol.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, chat_template=near
        )


def _template_of(text: str) -> str:
    match = re.search(r'^TEMPLATE """(.*?)"""$', text, re.S | re.M)
    assert match, text
    return match.group(1)


def test_modelfiles_carry_the_family_template_and_stops(llama3_tok: Any) -> None:
    gemma2 = template_family(llama3_tok, (TEMPLATES / "gemma2.jinja").read_text(encoding="utf-8"))
    text = modelfile("m.gguf", gemma2, 8192)
    assert _template_of(text) == GEMMA.template and "SYSTEM" not in text
    assert 'PARAMETER stop "<end_of_turn>"' in text and "PARAMETER num_ctx 8192" in text
    llama = modelfile(
        "m.gguf", template_family(llama3_tok, (TEMPLATES / "llama3_2.jinja").read_text()), 131072
    )
    assert _template_of(llama) == LLAMA31.template and f'SYSTEM """{DEFAULT_SYSTEM}"""' in llama
    assert 'PARAMETER stop "<|eot_id|>"' in llama and "pinned to 26 Jul 2024" in llama
