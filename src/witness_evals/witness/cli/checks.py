"""Semantic checks of a parsed witness command: required flags, signers, attestors, file roles.

Mixed into the parser (`parse.Parser`); every check reads the parsed flags and adds
issues and human-readable meaning to the `CommandAnalysis`.
"""

from __future__ import annotations

from witness_evals.witness import versions
from witness_evals.witness.cli import data
from witness_evals.witness.cli.analysis import CommandAnalysis
from witness_evals.witness.cli.grammar import CLI_HASHES, POLICY_TYPE, GrammarTables
from witness_evals.witness.cli.hints import is_url, looks_like_digest


class SemanticChecks:
    """Checks per subcommand; the parser provides the state declared here."""

    a: CommandAnalysis
    g: GrammarTables
    set_at: dict[str, int]
    value_at: dict[str, list[int]]
    arg_tokens: list[int]
    dash_at: int | None
    config_unknown: bool

    def given(self, name: str) -> bool:
        return name in self.set_at

    def require(self, code: str, message: str, token_index: int = -1) -> None:
        if self.a.help_requested:
            return
        self._unless_config(code, message, token_index)

    def _unless_config(self, code: str, message: str, token_index: int, severity: str = "error") -> None:
        """`message` as an issue of `severity`, or a note where the (unread) config file may set the value."""
        if self.config_unknown:
            self.a.add(code, message + " (unless the config file sets it)", token_index, "note")
        else:
            self.a.add(code, message, token_index, severity)

    def check_semantics(self, path: str) -> None:
        a = self.a
        if a.help_requested:
            a.add(
                "help-requested",
                f"`-h/--help`: `witness {path}` prints its usage and does nothing",
                -1,
                "note",
            )
        level = a.flags.get("log-level")
        if isinstance(level, str) and level not in data.LOG_LEVELS:
            a.add(
                "bad-log-level",
                f"log level `{level[:40]}` is not one of {', '.join(data.LOG_LEVELS)}",
                self.set_at.get("log-level", -1),
                "warning",
            )
        checker = {
            "run": self._check_run,
            "sign": self._check_sign,
            "verify": self._check_verify,
            "attestors schema": self._check_schema,
            "policy check": self._check_policy_check,
            "completion": self._check_completion,
        }.get(path)
        if path in ("attestors list", "version") and a.args:
            a.add(
                "positional-ignored", f"`witness {path}` ignores its arguments", self.arg_tokens[0], "warning"
            )
        if checker is not None:
            checker()
        if path in ("attestors list", "version"):
            a.meaning.append(
                "prints the attestor table (Name | Type | RunType)"
                if path == "attestors list"
                else "prints `witness <version>`"
            )

    def _signers(self) -> None:
        a = self.a
        providers = sorted({n.split("-")[1] for n in self.set_at if n.startswith("signer-")})
        a.signer_providers = providers
        key = a.flags.get("signer-file-key-path")
        a.signer_key = key if isinstance(key, str) else None
        if not providers:
            self.require(
                "missing-signer",
                "no signer: give exactly one signer provider, e.g. `-k key.pem` "
                "(`failed to load signers: failed to load any signers`)",
            )
            return
        if len(providers) > 1:
            a.add(
                "multiple-signers",
                f"only one signer is supported (flags of {', '.join(providers)} providers given)",
                min(self.set_at[n] for n in self.set_at if n.startswith("signer-")),
            )
        needs = {"file": "signer-file-key-path", "kms": "signer-kms-ref"}
        for p in providers:
            want = needs.get(p)
            if want and not self.given(want):
                self.require("incomplete-signer", f"the {p} signer needs `--{want}`")
        if "fulcio" in providers and not self.given("signer-fulcio-url"):
            a.add(
                "incomplete-signer", "the fulcio signer normally needs `--signer-fulcio-url`", -1, "warning"
            )
        if "vault" in providers and not (self.given("signer-vault-url") and self.given("signer-vault-role")):
            a.add(
                "incomplete-signer",
                "the vault signer needs `--signer-vault-url` and `--signer-vault-role`",
                -1,
                "warning",
            )
        desc = {
            "file": f"the private key file `{a.signer_key}`" if a.signer_key else "a file key",
            "kms": f"the KMS key `{a.flags.get('signer-kms-ref')}`",
            "fulcio": "a Fulcio (keyless) certificate",
            "spiffe": "a SPIFFE SVID",
            "vault": "a Vault PKI certificate",
        }
        if len(providers) == 1:
            a.meaning.append(f"signs with {desc[providers[0]]} ({providers[0]} signer)")
        if self.given("signer-file-cert-path"):
            a.meaning.append("the signature carries the certificate from `--signer-file-cert-path`")

    def _timestamp_urls(self, name: str) -> None:
        for v, at in self._items(name):
            if not is_url(v):
                self.a.add(
                    "timestamp-url-expected",
                    f"`--{name}` takes RFC3161 TSA URLs (e.g. https://freetsa.org/tsr), not `{v[:80]}`",
                    at,
                    "warning",
                )

    def _item_at(self, name: str, n: int) -> int:
        at = self.value_at.get(name, [])
        return at[n] if n < len(at) else self.set_at.get(name, -1)

    def _items(self, name: str) -> list[tuple[str, int]]:
        return [(v, self._item_at(name, n)) for n, v in enumerate(self._list(name))]

    def _list(self, name: str) -> list[str]:
        v = self.a.flags.get(name)
        return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []

    def _str(self, name: str) -> str | None:
        v = self.a.flags.get(name)
        return v if isinstance(v, str) else None

    def _check_run(self) -> None:
        a = self.a
        step = self._str("step")
        a.step = step or None
        if not step:
            self.require("missing-step", "`-s/--step` is required (go-witness: `step name is required`)")
        elif looks_like_digest(step):
            a.add(
                "short-flag-meaning",
                f"in `run`, `-s` is the step name; `{step[:80]}` looks like a digest (subjects belong to `verify -s`)",
                self.set_at.get("step", -1),
                "warning",
            )
        self._signers()
        a.outfile = self._str("outfile") or None
        # command
        a.command = list(a.args)
        if a.args:
            before = [j for j in self.arg_tokens if self.dash_at is None or j < self.dash_at]
            if before:
                a.add(
                    "command-without-dashdash",
                    "the command is not preceded by `--`: witness parses any of its options as witness flags; "
                    f"write `witness run ... -- {' '.join(a.args)[:80]}`",
                    before[0],
                    "warning",
                )
            if len(a.args) == 1 and any(c in a.args[0] for c in " \t"):
                a.add(
                    "command-is-one-word",
                    f"the command is the single argument `{a.args[0][:80]}`: witness executes it without a shell; "
                    "use `-- bash -c '...'` or split the words",
                    self.arg_tokens[0],
                    "warning",
                )
        # attestors
        recorded = list(data.ALWAYS_RUN_ATTESTORS)
        if a.args:
            recorded.append("command-run")
        explicit = self.given("attestations")
        values = self._list("attestations") if explicit else list(data.DEFAULT_ATTESTORS)
        for n, v in enumerate(values):
            self._add_attestor(v, recorded, self._item_at("attestations", n))
        # options of attestors not selected
        for name in self.set_at:
            flag = self.g.long_flags["run"].get(name)
            if flag is not None and flag.attestor and flag.attestor not in recorded:
                a.add(
                    "attestor-option-unused",
                    f"`--{name}` only takes effect if the `{flag.attestor}` attestor is selected (`-a {flag.attestor}`)",
                    self.set_at[name],
                    "warning",
                )
        exported = [
            n for n in data.EXPORTERS if n in recorded and a.flags.get(f"attestor-{n}-export") is True
        ]
        a.attestors = [n for n in recorded if n not in exported]
        a.exported = [
            {
                "name": n,
                "type": self.g.attestor_by_name[n].type,
                "file": f"{a.outfile}-{n}.json" if a.outfile else None,
            }
            for n in exported
        ]
        if exported and not a.outfile:
            a.add(
                "export-without-outfile",
                "exported attestations are written to `<outfile>-<name>.json`; give `-o` to name them",
                -1,
                "warning",
            )
        # hashes
        hashes = self._list("hashes") if self.given("hashes") else ["sha256"]
        a.hashes = hashes
        for n, h in enumerate(hashes):
            if h not in CLI_HASHES:
                a.add(
                    "bad-hash",
                    f"failed to parse hash: unsupported hash function: {h[:80]} (allowed: {', '.join(CLI_HASHES)})",
                    self._item_at("hashes", n),
                )
            elif h.startswith("gitoid") or h == "dirHash":
                a.add(
                    "hash-downgraded",
                    f"`--hashes {h}`: the CLI builds plain digests, so `{h}` silently becomes "
                    f"`{'sha1' if h.endswith('sha1') else 'sha256'}`",
                    self._item_at("hashes", n),
                    "warning",
                )
        if (
            hashes
            and all(h in CLI_HASHES for h in hashes)
            and not any(h in ("sha256", "gitoid:sha256", "dirHash") for h in hashes)
        ):
            a.add(
                "no-sha256",
                "without sha256 in `--hashes`, `witness verify -f` (which hashes the artifact with sha256 only) "
                "can never find this attestation",
                self.set_at.get("hashes", -1),
                "warning",
            )
        self._timestamp_urls("timestamp-servers")
        # meaning
        m = a.meaning
        m.insert(
            0, f"records step `{step}`" if step else "records an attestation collection (no step name given)"
        )
        if a.command:
            m.append(f"runs the command {a.command!r} (recorded by command-run)")
        else:
            m.append("runs no command: no command-run attestation; products are only files changed meanwhile")
        m.append("collection attestors: " + ", ".join(a.attestors))
        if explicit:
            dropped = [d for d in data.DEFAULT_ATTESTORS if d not in recorded]
            if dropped:
                m.append(f"`-a` replaces the default environment,git: {' and '.join(dropped)} NOT recorded")
        if "sbom" in a.attestors:
            m.append(
                "sbom is recorded under the type https://spdx.dev/Document or https://cyclonedx.org/bom "
                "(whichever SBOM product was found), not its registered type"
            )
        for e in a.exported:
            m.append(
                f"exports {e['name']} ({e['type']}) as a separate envelope to {e['file'] or '<outfile>-' + str(e['name']) + '.json'}"
            )
        m.append(
            f"writes the signed collection envelope to {a.outfile}"
            if a.outfile
            else "writes the signed envelope to stdout"
        )
        if a.flags.get("trace") is True:
            m.append("traces the command's processes (Linux ptrace, experimental)")
        if a.flags.get("enable-archivista") is True:
            m.append("also uploads every envelope to Archivista")
        if a.shell_redirects:
            m.append(f"shell redirections {a.shell_redirects} apply to witness itself, not to the command")

    def _add_attestor(self, value: str, recorded: list[str], at: int) -> None:
        a = self.a
        if value == "command-run":
            a.add(
                "attestor-builtin",
                "'command-run' is a builtin attestor and cannot be called with --attestations flag "
                "(it is recorded automatically when a command follows `--`)",
                at,
                "warning",
            )
            return
        if value in recorded:
            why = " (always recorded)" if value in data.ALWAYS_RUN_ATTESTORS else ""
            a.add("attestor-duplicate", f"Attestor {value} already declared, skipping{why}", at, "warning")
            return
        spec = self.g.attestor_by_name.get(value)
        if spec is None:
            spec = self.g.attestor_by_type.get(value)
            if spec is not None and spec.name in recorded and spec.name != "command-run":
                a.add(
                    "attestor-type-duplicate",
                    f"`{value}` is the type of `{spec.name}`, which is already selected: it is recorded twice",
                    at,
                    "warning",
                )
        if spec is None:
            self._unknown_attestor(value, at)
            return
        if spec.run_type == "verify":
            a.add(
                "attestor-verify-type",
                f"`{value}`: attestors of type verify cannot be run in conjunction with other attestor types "
                "(policyverify only runs inside `witness verify`)",
                at,
            )
            return
        if spec.name == "command-run":  # by type URI: a second command-run attestor, without a command
            a.add(
                "attestor-builtin-type",
                "attestors failed with error messages: attestor command-run failed: error returned for attestor "
                "command-run of run type execute: CommandRun attestation requires a command to run (command-run "
                "given by type URI is a second command-run attestor; witness adds it when a command follows `--`)",
                at,
            )
        env = data.ATTESTOR_ENVIRONMENT.get(spec.name)
        if env is not None and not (spec.name == "git" and not self.given("attestations")):
            a.add("attestor-environment", f"`-a {spec.name}` {env[1]}", at, env[0])
        if spec.name == "k8smanifest":
            self._k8s_cluster_info(at)
        recorded.append(spec.name)

    def _k8s_cluster_info(self, at: int) -> None:
        """k8smanifest without `--attestor-k8smanifest-record-cluster-information`: on by default, it needs a
        kubeconfig (an explicit true or a `--attestor-k8smanifest-kubeconfig` says the runner has one)."""
        if self.given("attestor-k8smanifest-record-cluster-information") or self.given(
            "attestor-k8smanifest-kubeconfig"
        ):
            return
        self._unless_config("attestor-environment", data.K8S_CLUSTER_INFO, at, "warning")

    def _unknown_attestor(self, value: str, at: int) -> None:
        a = self.a
        base = f"failed to create attestor: attestor not found: {value[:80]}"
        if value in data.VERSIONED_ATTESTORS:
            since = versions.since(data.VERSIONED_ATTESTORS[value][1])
            a.add(
                "attestor-not-in-build",
                f"{base} (`{value}` exists {since} (experimental, Linux builds); this is {self.g.version.label})",
                at,
            )
            return
        hint = ""
        stripped = value.strip()
        if stripped != value and (stripped in self.g.attestor_by_name or stripped in self.g.attestor_by_type):
            hint = f"; `-a` values are split on commas without trimming spaces: write `{stripped}` without the space"
        elif value.lower() in data.ATTESTOR_MISSPELLINGS or value.lower() in self.g.attestor_by_name:
            right = data.ATTESTOR_MISSPELLINGS.get(value.lower(), value.lower())
            hint = f"; the CLI name is `{right}`"
        elif is_url(value):
            stem = value.rstrip("/").rsplit("/", 1)[0]
            same = [t for t in self.g.attestor_by_type if t.startswith(stem + "/") or t == stem]
            if same:
                hint = f"; did you mean `{same[0]}` (CLI name `{self.g.attestor_by_type[same[0]].name}`)?"
        elif value.endswith((".json", ".pem")) or "/" in value:
            hint = "; in `run`, `-a` takes attestor names (attestation files are for `verify -a`)"
        else:
            guess = a.suggest(value, self.g.attestor_by_name)
            if guess:
                hint = f"; did you mean `{guess}`?"
        a.add("unknown-attestor", base + hint, at)

    def _check_sign(self) -> None:
        a = self.a
        a.infile = self._str("infile") or None
        a.outfile = self._str("outfile") or None
        dt = self._str("datatype")
        a.datatype = dt or POLICY_TYPE
        f, o = self.given("infile"), self.given("outfile")
        if f != o:
            missing = "outfile" if f else "infile"
            self.require(
                "required-together",
                f"if any flags in the group [infile outfile] are set they must all be set; missing [{missing}]",
                self.set_at.get("infile" if f else "outfile", -1),
            )
        elif not f:
            self.require(
                "missing-infile",
                "nothing to sign: give `-f/--infile <file>` and `-o/--outfile <file>` (the positional [file] is not read)",
            )
        if a.args:
            a.add(
                "positional-ignored",
                f"`witness sign` does not read the positional `{a.args[0][:80]}`; use `-f {a.args[0][:80]}`",
                self.arg_tokens[0],
                "warning",
            )
        self._signers()
        if dt is not None and self.given("datatype") and dt != POLICY_TYPE:
            low = dt.lower()
            if "tsr" in low or "timestamp" in low or "tsa" in low:
                a.add(
                    "short-flag-meaning",
                    f"in `sign`, `-t` is `--datatype`; `{dt[:80]}` looks like a timestamp server "
                    "(use `--timestamp-servers`, which has no shorthand in sign)",
                    self.set_at.get("datatype", -1),
                    "warning",
                )
            else:
                a.add(
                    "non-policy-datatype",
                    f"payloadType will be `{dt[:80]}`, not the policy type; `witness verify -p` needs a policy",
                    self.set_at.get("datatype", -1),
                    "note",
                )
        if a.infile and a.infile.endswith((".yaml", ".yml")):
            a.add(
                "yaml-policy",
                "sign puts the raw file bytes in the payload: a YAML policy fails to load at verify time; convert it to JSON",
                self.set_at.get("infile", -1),
                "warning",
            )
        self._timestamp_urls("timestamp-servers")
        a.meaning.insert(
            0,
            f"signs the raw bytes of `{a.infile}` as a DSSE envelope (payloadType `{a.datatype}`)"
            if a.infile
            else "signs a file given with -f (none given)",
        )
        a.meaning.append(
            f"writes the envelope to {a.outfile}" if a.outfile else "writes the envelope to stdout"
        )

    def _check_verify(self) -> None:
        a = self.a
        a.policy = self._str("policy") or None
        a.publickey = self._str("publickey") or None
        a.attestation_files = self._list("attestations")
        a.subjects = self._list("subjects")
        a.artifactfile = self._str("artifactfile") or None
        a.directory_path = self._str("directory-path") or None
        group1 = ("publickey", "policy-ca", "policy-ca-roots", "policy-ca-intermediates", "verifier-kms-ref")
        a.policy_verifiers = [g for g in group1 if self.given(g)]
        if not a.policy_verifiers:
            self.require(
                "required-group",
                "at least one of the flags in the group [publickey policy-ca policy-ca-roots "
                "policy-ca-intermediates verifier-kms-ref] is required",
            )
        if not (self.given("artifactfile") or self.given("subjects")):
            extra = " (`--directory-path` alone does not satisfy this group)" if a.directory_path else ""
            self.require(
                "required-group",
                "at least one of the flags in the group [artifactfile subjects] is required" + extra,
            )
        if not a.policy:
            self.require("missing-policy", "`-p/--policy` is required (without it opening the policy fails)")
        elif a.policy.endswith((".yaml", ".yml")):
            a.add(
                "yaml-policy",
                "verify needs a signed JSON policy envelope, not YAML",
                self.set_at["policy"],
                "warning",
            )
        archivista = a.flags.get("enable-archivista") is True
        if not a.attestation_files and not archivista:
            self.require(
                "missing-attestations",
                "must either specify attestation file paths or enable archivista as an attestation source",
            )
        pk = a.publickey or ""
        base = pk.replace("\\", "/").rsplit("/", 1)[-1].lower()
        if base and "pub" not in base and ("priv" in base or base.endswith(("key.pem", ".key"))):
            a.add(
                "short-flag-meaning",
                f"in `verify`, `-k` is the policy signer's PUBLIC key; `{pk[:80]}` looks like a private key",
                self.set_at.get("publickey", -1),
                "warning",
            )
        for v, at in self._items("attestations"):
            if v in self.g.attestor_by_name:
                a.add(
                    "short-flag-meaning",
                    f"in `verify`, `-a` takes attestation FILES; `{v}` is an attestor name",
                    at,
                    "warning",
                )
        for v, at in self._items("subjects"):
            if not looks_like_digest(v):
                a.add(
                    "short-flag-meaning",
                    f"in `verify`, `-s` takes subject digests; `{v[:80]}` does not look like a hex digest",
                    at,
                    "warning",
                )
        for v, at in self._items("policy-timestamp-servers"):
            if is_url(v):
                a.add(
                    "timestamp-path-expected",
                    f"`--policy-timestamp-servers` takes paths to TSA CA certificate files, not URLs (`{v[:80]}`)",
                    at,
                    "warning",
                )
        if a.args:
            a.add(
                "positional-ignored",
                f"`witness verify` ignores positional arguments (`{a.args[0][:80]}`); "
                "attestations go with `-a`, the artifact with `-f`",
                self.arg_tokens[0],
                "warning",
            )
        m = a.meaning
        how = ", ".join(f"--{v}" for v in a.policy_verifiers) or "nothing"
        m.append(
            f"verifies the signed policy `{a.policy}` (policy signature checked with {how})"
            if a.policy
            else f"verifies a signed policy (none given; policy signature checked with {how})"
        )
        if a.publickey:
            m.append(
                f"`{a.publickey}` is the policy signer's public key (functionary keys live in the policy)"
            )
        if a.attestation_files:
            m.append("against the attestation files " + ", ".join(a.attestation_files))
        if archivista:
            m.append("fetching attestations from Archivista")
        if a.artifactfile:
            m.append(f"for the subject sha256 of the file `{a.artifactfile}`")
        if a.subjects:
            m.append("for the subject digests " + ", ".join(a.subjects))
        if a.directory_path:
            m.append(f"for the dirHash of the directory `{a.directory_path}`")
        m.append("exit 0 only if the policy passes")

    def _check_schema(self) -> None:
        a = self.a
        if not a.args:
            self.a.add(
                "wrong-arg-count",
                "you must specify an attestor to view the schema of. Use 'witness attestors' for a list of "
                "available attestors",
            )
            return
        if len(a.args) > 1:
            a.add("wrong-arg-count", "you can only get one attestor schema at a time", self.arg_tokens[1])
        name = a.args[0]
        spec = self.g.attestor_by_name.get(name) or self.g.attestor_by_type.get(name)
        if spec is None:
            guess = data.ATTESTOR_MISSPELLINGS.get(name.lower()) or a.suggest(name, self.g.attestor_by_name)
            a.add(
                "unknown-attestor",
                f"attestor not found: {name[:80]}" + (f"; did you mean `{guess}`?" if guess else ""),
                self.arg_tokens[0],
            )
            return
        a.meaning.append(f"prints the JSON schema of the {spec.name} attestor ({spec.type})")

    def _check_policy_check(self) -> None:
        a = self.a
        if not a.args:
            self.a.add("wrong-arg-count", "requires at least 1 arg(s), only received 0 (the policy file)")
            return
        if len(a.args) > 1:
            a.add(
                "positional-ignored",
                f"only the first file is checked; `{a.args[1][:80]}` is ignored",
                self.arg_tokens[1],
                "warning",
            )
        a.policy = a.args[0]
        a.meaning.append(
            f"statically checks the policy `{a.args[0]}` (raw JSON or DSSE envelope; signature not verified; "
            "Rego parsed with OPA v1 syntax)"
        )
        if self.g.version.policy_check_note:
            a.add("policy-check-release", self.g.version.policy_check_note, -1, "note")

    def _check_completion(self) -> None:
        a = self.a
        if len(a.args) != 1:
            a.add("wrong-arg-count", f"accepts 1 arg(s), received {len(a.args)}")
            return
        if a.args[0] not in data.COMPLETION_SHELLS:
            a.add(
                "bad-argument",
                f'invalid argument "{a.args[0][:80]}" for "witness completion" '
                f"(one of {', '.join(data.COMPLETION_SHELLS)})",
                self.arg_tokens[0],
            )
            return
        a.meaning.append(f"prints the {a.args[0]} completion script")
