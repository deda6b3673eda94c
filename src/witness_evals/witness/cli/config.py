"""Witness config files (`-c`, REFERENCE.md §2.9): YAML 1.2 like viper, keys `<subcommand>.<long flag>`."""

from __future__ import annotations

from typing import Any

from witness_evals.witness.cli import data
from witness_evals.witness.cli.analysis import ConfigFile, Issue
from witness_evals.witness.cli.grammar import MAX_INPUT_CHARS, GrammarTables
from witness_evals.witness.cli.hints import unknown_long_hint
from witness_evals.witness.cli.values import convert_value, split_csv


def _go_string(value: Any) -> str | None:
    """viper GetString of a YAML value; None where cast.ToString gives up (lists, maps)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _load_yaml12(text: str) -> Any:
    """yaml.safe_load with YAML 1.2 booleans (viper uses yaml.v3: `yes`/`on` stay strings)."""
    import re

    import yaml

    global _YAML_LOADER
    if _YAML_LOADER is None:
        bool_tag = "tag:yaml.org,2002:bool"

        class Loader(yaml.SafeLoader):
            pass

        Loader.yaml_implicit_resolvers = {
            k: [(tag, rx) for tag, rx in v if tag != bool_tag]
            for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        Loader.add_implicit_resolver(
            bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
        )
        _YAML_LOADER = Loader
    return yaml.load(text, Loader=_YAML_LOADER)  # a SafeLoader subclass: no object construction


_YAML_LOADER: Any = None


def read_config(text: str, *, source: str = "config", grammar: GrammarTables) -> ConfigFile:
    """Read a witness config file: keys `<subcommand>.<long flag>` (REFERENCE.md §2.9), with the
    flags of `grammar`'s release."""
    g = grammar
    cfg = ConfigFile()
    if not isinstance(text, str):
        cfg.issues.append(Issue("config-yaml-error", f"{source}: not text"))
        return cfg
    if len(text) > MAX_INPUT_CHARS:
        cfg.issues.append(Issue("config-too-long", f"{source}: longer than {MAX_INPUT_CHARS} characters"))
        return cfg
    try:
        doc = _load_yaml12(text)
    except Exception as exc:  # yaml raises many types (and RecursionError on deep nesting)
        where = getattr(exc, "problem_mark", None)
        at = f":{where.line + 1}:{where.column + 1}" if where is not None else ""
        cfg.issues.append(Issue("config-yaml-error", f"{source}{at}: invalid YAML ({type(exc).__name__})"))
        return cfg
    if doc is None:
        return cfg
    if not isinstance(doc, dict):
        cfg.issues.append(Issue("config-not-mapping", f"{source}: the config file must be a YAML mapping"))
        return cfg
    for top, section in doc.items():
        key = str(top).lower()
        if key not in g.top_level_commands:
            hint = (
                data.NONEXISTENT_FLAGS.get(key)
                or "keys are `<subcommand>.<long flag name>`, e.g. `run.signer-file-key-path`"
            )
            cfg.issues.append(
                Issue(
                    "config-unknown-key", f"{source}: top-level key `{top}` is ignored: {hint}", -1, "warning"
                )
            )
            continue
        if not isinstance(section, dict):
            if section is not None:
                cfg.issues.append(
                    Issue(
                        "config-bad-value",
                        f"{source}: `{top}` must be a mapping of flag names",
                        -1,
                        "warning",
                    )
                )
            continue
        if g.commands[key].subcommands:
            cfg.issues.append(
                Issue(
                    "config-unknown-key",
                    f"{source}: `{top}`: nested subcommands (`{key} ...`) cannot be configured",
                    -1,
                    "warning",
                )
            )
            continue
        lower = g.lower_long_flags[key]
        values = cfg.values.setdefault(key, {})
        for fkey, value in section.items():
            name = lower.get(str(fkey).lower())
            if name is None:
                cfg.issues.append(
                    Issue(
                        "config-unknown-key",
                        f"{source}: `{key}.{fkey}` is ignored: {unknown_long_hint(key, str(fkey), g)}",
                        -1,
                        "warning",
                    )
                )
                continue
            flag = g.long_flags[key][name]
            if flag.type == "strings":
                items: list[Any] = value if isinstance(value, list) else str(_go_string(value) or "").split()
                strs = [_go_string(v) for v in items]
                if any(s is None for s in strs):
                    cfg.issues.append(
                        Issue(
                            "config-bad-value",
                            f"{source}: `{key}.{fkey}` must be a list of strings",
                            -1,
                            "warning",
                        )
                    )
                    continue
                parsed = split_csv(",".join(s for s in strs if s is not None))
                if parsed is None:
                    cfg.issues.append(
                        Issue("config-bad-value", f"{source}: `{key}.{fkey}`: bad quoting", -1, "warning")
                    )
                    continue
                if parsed:
                    values[name] = parsed
                continue
            s = _go_string(value)
            if s is None:
                cfg.issues.append(
                    Issue(
                        "config-bad-value",
                        f"{source}: `{key}.{fkey}` is a {type(value).__name__}; witness reads it as an empty "
                        "string and ignores it",
                        -1,
                        "warning",
                    )
                )
                continue
            if s == "":
                continue
            converted, err = convert_value(flag.type, s)
            if err is not None:
                cfg.issues.append(
                    Issue(
                        "config-bad-value",
                        f"{source}: `{key}.{fkey}`: {err}; witness logs `failed to set config value` "
                        "and ignores it",
                        -1,
                        "warning",
                    )
                )
                continue
            values[name] = [s] if flag.type == "stringArray" else converted
    return cfg
