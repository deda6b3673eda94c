"""How people ask for Rego: request forms per intent and what they say about their setup.

Each intent has several request forms in different grammatical shapes (question, imperative, "I
need...", a situation then the ask, a pasted module then the ask, a follow-up). Slots: `{att}` CLI
name, `{type}` predicate type, `{rule}` requirement clause, `{ask}` verb phrase, `{control}` a
control from a security standard, `{situation}` a sentence on how the attestation is recorded,
`{setup}` an optional sentence naming the step, attestation file and policy file, `{module}` a
pasted module, `{symptom}` what witness did. `phrasing.dress` adds persona, tone and sign-off.
"""

from __future__ import annotations

SITUATIONS: dict[str, tuple[str, ...]] = {
    "git": (
        "We run `witness run` with the default attestors, so every collection has a git attestation.",
        "The git attestation is already recorded for our build step (we never override `-a`).",
        "Our build collections include the git attestor's data.",
    ),
    "command-run": (
        "Every step is wrapped as `witness run ... -- <command>`, so the command-run attestation is there.",
        "The command-run attestation of our build step is what I want to check.",
        "We wrap the build command with witness, so command-run records the argv and exit code.",
    ),
    "environment": (
        "Our steps use the default attestors, so the environment attestation is recorded.",
        "I want to check the environment attestation of the build step.",
        "The environment attestor is on (it's one of the defaults) for all our steps.",
    ),
    "material": (
        "The material attestation (always recorded) of the build step is what I want to check.",
        "Witness records the materials of every step anyway, so I'd like to use them in the policy.",
    ),
    "product": (
        "The product attestation (always recorded) of the step is what I want to check.",
        "Witness records the products of every step, so I'd like the policy to look at them.",
    ),
    "lockfiles": (
        "We added `-a lockfiles` to the build step.",
        "The build step records the lockfiles attestor (`-a lockfiles`).",
    ),
    "maven": (
        "Our Java build records the maven attestor (`-a maven`, POM at the default `pom.xml`).",
        "We attest the POM with `-a maven` in the build step.",
    ),
    "omnitrail": (
        "We record an omnitrail attestation (`-a omnitrail`) on our Linux builders.",
        "The build step runs with `-a omnitrail`.",
    ),
    "system-packages": (
        "We record the build container's packages with `-a system-packages`.",
        "The system-packages attestor is enabled on our build step.",
    ),
    "github": (
        "Our builds run in GitHub Actions with `-a github` (the job has `id-token: write`).",
        "We record the github attestor in our Actions workflows.",
        "The GitHub Actions job runs witness with `-a environment,git,github`.",
    ),
    "gitlab": (
        "Our pipelines run on GitLab CI and record `-a gitlab`.",
        "We use the gitlab attestor in our `.gitlab-ci.yml` jobs.",
    ),
    "jenkins": (
        "Our Jenkins pipelines run witness with `-a jenkins`.",
        "The Jenkins build records the jenkins attestor.",
    ),
    "aws": (
        "Our self-hosted builders are EC2 instances and we record `-a aws` (the instance identity document).",
        "We attest the EC2 instance identity with the aws attestor.",
    ),
    "aws-codebuild": (
        "We build in AWS CodeBuild and record `-a aws-codebuild`.",
        "Our CodeBuild projects run witness with the aws-codebuild attestor.",
    ),
    "gcp-iit": (
        "Our runners are GKE pods with Workload Identity and we record `-a gcp-iit` (the identity token).",
        "We attest the GCP instance identity with the gcp-iit attestor.",
    ),
    "docker": (
        "The image step runs `docker buildx build --metadata-file` under witness with `-a docker`.",
        "We record the docker attestor when building images.",
    ),
    "oci": (
        "The image step saves the image as a tarball and records `-a oci`.",
        "We attest our image tarballs with the oci attestor.",
    ),
    "k8smanifest": (
        "Our deploy step records the rendered manifests with `-a k8smanifest`.",
        "We attest Kubernetes manifests with the k8smanifest attestor.",
    ),
    "sbom": (
        "The sbom step runs syft and records the SBOM with `-a sbom`.",
        "We attest our SBOMs with the sbom attestor (not exported, so it stays in the collection).",
    ),
    "sarif": (
        "Our scan step writes a SARIF report and records it with `-a sarif`.",
        "We attach the static-analysis SARIF report with the sarif attestor.",
    ),
    "secretscan": (
        "We run the secretscan attestor (`-a secretscan`) on the build step's products.",
        "The build step records secret-scan results with `-a secretscan`.",
    ),
    "vex": (
        "We publish OpenVEX documents and record them with `-a vex`.",
        "The release step attests our VEX document with the vex attestor.",
    ),
    "slsa": (
        "We record SLSA provenance with `-a slsa` (without `--attestor-slsa-export`, so it stays in the "
        "collection).",
        "The build step records the slsa attestor inside the collection.",
    ),
    "link": (
        "We record an in-toto link with `-a link` (not exported).",
        "The build step adds the link attestor, kept inside the collection.",
    ),
    "jwt": ("",),
}

SETUPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("The step is called `{step}` and its attestation is written to `{att_file}`.", frozenset({"att_file"})),
    (
        "Step name `{step}`, attestation file `{att_file}`, policy in `{policy_file}`.",
        frozenset({"att_file", "policy_file"}),
    ),
    (
        "It's for the `{step}` step of `{policy_file}`; the attestation ends up in `{att_file}`.",
        frozenset({"att_file", "policy_file"}),
    ),
    ("Our policy file is `{policy_file}` and the step is `{step}`.", frozenset({"policy_file"})),
    (
        "The `{step}` step writes `{att_file}` and we verify against `{policy_file}`.",
        frozenset({"att_file", "policy_file"}),
    ),
    ("(witness writes the `{step}` attestation to `{att_file}`)", frozenset({"att_file"})),
)
"""Sentences naming the step and files, with the names each states (answers use only stated names)."""

WRITE: tuple[str, ...] = (
    "Write a Rego module for the `{att}` attestation in my witness policy: {rule}.",
    "{situation} I need the policy to {ask}. What Rego goes into `regopolicies`?",
    "How would I {ask} with a witness policy? The data comes from the {att} attestor.",
    "Our release checklist says {rule}. Can witness enforce that with Rego on the `{type}` attestation?",
    "{situation} Security wants this enforced: {rule}. Rego module please.",
    "I want `witness verify` to fail when this is violated: {rule}. What's the deny rule for the {att} attestation?",
    "Is there a way to {ask} in witness? Looking for the Rego over the {att} predicate.",
    "need rego for the {att} attestation: {ask}",
    "{setup} Please give me a witness Rego module for this requirement: {rule}.",
    "Could you draft the Rego policy for our `{att}` attestation? Requirement: {rule}.",
    "{ci}\n\nThat's how the step records its attestation. How do I {ask} in the witness policy?",
    "Here is our CI job:\n\n{ci}\n\nWhat Rego on the `{att}` attestation enforces this: {rule}?",
)
PORTABLE: tuple[str, ...] = (
    "Write Rego for the `{att}` attestation that passes `witness policy check` and works in `witness verify`: "
    "{rule}.",
    "{situation} Our CI lints the policy with `witness policy check` before signing. I need a module that "
    "will {ask}.",
    "Requirement on `{type}`: {rule}. Which Rego module enforces it and is accepted by both `witness policy check` and "
    "`witness verify`?",
    "We validate policies with `witness policy check`. How do I {ask}? It's the {att} attestor.",
    "I keep getting parse errors from one of the two witness commands. Give me a module that both "
    "`witness policy check` and `witness verify` accept, for the {att} attestation: {rule}.",
    "{setup} The module must survive `witness policy check` too. Requirement: {rule}.",
    "We record the step like this:\n\n{ci}\n\nI need a module for the `{att}` attestation that passes "
    "`witness policy check`, to {ask}.",
)
CLASSIC: tuple[str, ...] = (
    "We only run `witness verify`, never `witness policy check`. Write a classic-syntax Rego module for the "
    "`{att}` attestation: {rule}.",
    "Can you write it in the old `deny[msg] {{ ... }}` style? It's for `witness verify` on the `{att}` "
    "attestation, and the rule is: {rule}.",
    "{situation} Our other modules all use `deny[msg]` without imports, so please keep that style. I need to "
    "{ask}.",
    "Classic Rego v0 please, evaluated by `witness verify` against the `{att}` attestation. Requirement: "
    "{rule}.",
    "In the style of the witness docs' examples (`deny[msg]`), how do I {ask}? The data is the {att} "
    "predicate.",
    "Our policies are only consumed by `witness verify`. What's the v0-style rule for the `{type}` attestation "
    "for this: {rule}?",
)
TRANSLATE: tuple[str, ...] = (
    "Our security standard has this control:\n\n> {control}\n\nHow do I express it as Rego for the `{att}` "
    "attestation in a witness policy?",
    "Translate this requirement into a witness Rego module (attestation `{type}`):\n\n> {control}",
    '{situation} The auditors want evidence for control "{control}" Can a Rego policy on that attestation '
    "enforce it?",
    'From our supply-chain policy document: "{control}" What witness Rego implements this on the {att} '
    "attestation?",
    "We're mapping our controls to witness policies. Control text: {control} Which deny rule on the `{att}` "
    "predicate does that?",
    "Turn this into Rego for witness, please:\n\n{control}\n\n(the check runs on the {att} attestation)",
)
COMBO: tuple[str, ...] = (
    "Write one Rego module for the `{att}` attestation that enforces two things: {rule}.",
    "{situation} I need the policy to {ask}. Can that be one module?",
    "Two requirements on the {att} attestation: {rule}. What does the Rego look like?",
    "How do I combine these in a single witness Rego module on `{type}`? {rule}.",
    "Our policy should {ask}. Rego for the `{att}` attestation please.",
    "{setup} One module, two checks on the {att} predicate: {rule}.",
)
COMBO_LIST: tuple[str, ...] = (
    "{n} things I want enforced on the `{att}` attestation:\n\n{listed}\n\nOne Rego module for witness, please.",
    "Our security team gave us these rules for the {att} predicate:\n{listed}\nWhat does the witness Rego look like?",
    "{situation} The requirements:\n\n{listed}\n\nCan you write the module? All of them have to hold.",
    "I need a witness policy module on `{type}` that checks all of these:\n{listed}",
    "Rego question. The {att} attestation must satisfy every one of these, or verification should fail:\n\n{listed}",
    "{setup} Checks to implement ({n}, on the {att} attestation):\n{listed}",
)
"""A combination asked as a list: two or three requirements, numbered or bulleted (`{listed}`), `{n}` their
count in words."""
EXTEND: tuple[str, ...] = (
    "Thanks, that works. Can you extend it with one more requirement: {rule}?",
    "Good. Now we also need to {ask}. Updated module?",
    "That passed `witness verify`. One more requirement from security: {rule}. Please add it.",
    "Can the same module also {ask}? I'd rather keep one file.",
    "Follow-up: keep the existing rule and add this one: {rule}.",
    "Works for us. Next step: {ask} as well. What does the module look like now?",
)
FIRST_TURN: tuple[str, ...] = (
    "Rego for the `{att}` attestation: {rule}?",
    "{situation} How do I {ask} in the witness policy?",
    "I need a witness Rego module on the {att} attestation. The rule: {rule}.",
    "Write the deny rule for `{type}`: {rule}.",
)
FIX_SYNTAX: tuple[str, ...] = (
    "My witness Rego policy for the `{att}` attestation should enforce this: {rule}. But {symptom}. What's "
    "wrong?\n\n```rego\n{module}```",
    "This module in my witness policy (`{type}`) doesn't work: {symptom}. It should enforce this: {rule}.\n\n"
    "```rego\n{module}```",
    "```rego\n{module}```\n\nThat's in `regopolicies` for the `{att}` attestation, and {symptom}. The goal: "
    "{rule}. How do I fix it?",
    "Any idea why {symptom}? The module is supposed to {ask}:\n\n```rego\n{module}```",
    "Fix my Rego for witness, please. Goal: {rule} (on the `{att}` attestation). Problem: {symptom}.\n\n"
    "```rego\n{module}```",
    "{situation} I wrote the module below to {ask}, but {symptom}.\n\n```rego\n{module}```",
)
FIX_LOGIC: tuple[str, ...] = (
    "My Rego rule never seems to do what I want: {symptom}. It's supposed to {ask}.\n\n```rego\n{module}```",
    "Why does this witness policy module misbehave? {Symptom}. Intended rule: {rule}.\n\n```rego\n{module}```",
    "```rego\n{module}```\n\nThis is on the `{att}` attestation. It compiles and `witness verify` runs it, "
    "but {symptom}. What's the logic bug?",
    "{situation} I wrote this to {ask}, yet {symptom}. What did I get wrong?\n\n```rego\n{module}```",
    "Testing our policy: {symptom}. The module (for `{type}`) should enforce this: {rule}.\n\n```rego\n{module}```",
    "Can you review this Rego? {Symptom}, and it should {ask}.\n\n```rego\n{module}```",
)
FIX_LOG_FAILS: tuple[str, ...] = (
    "I'm going in circles with a witness Rego module on the `{att}` attestation. It should {ask}, and this "
    "build does, yet every verify fails:\n\n```rego\n{module}```\n\n```\n{log}\n```",
    "```\n{log}\n```\n\nThat's `witness verify` on a build that meets our rule ({rule}). The module on "
    "`{type}`:\n\n```rego\n{module}```\n\nWhat's wrong with it?",
    "Verify output:\n```\n{log}\n```\nModule (goal: {rule}):\n```rego\n{module}```\nFix?",
    "{situation} The module below is meant to {ask}:\n\n```rego\n{module}```\n\nBut `witness verify` "
    "refuses a build that is fine:\n\n```text\n{log}\n```\n\nWhat did I get wrong?",
    "Our gate went red after I added this to `regopolicies` for `{type}`:\n\n```rego\n{module}```\n\n"
    "```console\n{log}\n```\n\nThe build meets the requirement ({rule}). Why is it rejected?",
)
"""Fix and logic questions that paste the log of a verify that fails a compliant build."""
FIX_LOG_ERRORS: tuple[str, ...] = (
    "Checking that {case} is refused. It is, but not with our message:\n\n```\n{log}\n```\n\nThe module on "
    "`{att}` should {ask}:\n\n```rego\n{module}```\n\nWhat's wrong with it?",
    "```rego\n{module}```\n\nOn {case} (which must fail: {rule}) `witness verify` errors out instead of "
    "denying:\n\n```text\n{log}\n```\n\nHow do I fix the module?",
    "Our negative test ({case}) fails verification, but with an error rather than the denial I wrote:\n```\n"
    "{log}\n```\nModule for `{type}`:\n```rego\n{module}```",
)
"""Fix and logic questions that paste the log of a verify that fails a violating build with an error, not
with the module's denial."""
FIX_LOG_PASSES: tuple[str, ...] = (
    "Our Rego module on `{att}` is supposed to {ask}, but {case} went through:\n\n```\n{log}\n```\n\n"
    "```rego\n{module}```\n\nWhy doesn't it deny?",
    "```rego\n{module}```\n\nWith this in `regopolicies` for `{type}`, verification of {case} succeeds:"
    "\n\n```\n{log}\n```\n\nThe rule was: {rule}. What's missing?",
    "Testing our policy with {case} on purpose. It should fail ({rule}), but:\n\n```text\n{log}\n```\n\n"
    "Module:\n```rego\n{module}```",
)
"""Fix and logic questions that paste the log of a verify that lets a violating build through."""
JWT: tuple[str, ...] = (
    "I want a Rego rule on the `jwt` attestation (`{jwt_type}`) for this: {rule}. How?",
    "Our GitHub Actions builds use OIDC. Can I write the policy against the `jwt` attestor instead of `github`? "
    "The rule: {rule}.",
    "Which attestation do I attach Rego to if I want to check GitHub OIDC token claims? I need to {ask}. I "
    "was going to run `-a jwt`.",
    "How do I {ask} with a Rego policy on `{jwt_type}`?",
    "We'd like to check the workflow's OIDC claims in witness: {rule}. Should that go on the jwt attestation?",
    "Write Rego for the jwt attestor: {rule}.",
)

NARRATIVE: tuple[str, ...] = (
    "{story}\n\nHow do I get `witness verify` to catch this?",
    "{story} What would the policy check look like?",
    "Context: {story} Can a witness policy enforce that? If so, show me the module.",
    "{story} I'd like verification to refuse such builds from now on.",
    "Trying to close a gap in our pipeline. {story}",
    "{story} We sign our witness policies already; what do I add to them?",
    "Quick one. {story} Rego?",
)
NARRATIVE_BAD: tuple[str, ...] = (
    "{story}\n\nThis is the relevant part of the attestation from the run that should have failed:\n\n"
    "```json\n{excerpt}\n```\n\nWhat should I add to the policy?",
    "{story} Here is what witness recorded for the bad run (trimmed):\n\n```json\n{excerpt}\n```",
    "```json\n{excerpt}\n```\n\nThat's from the attestation of a build that got through. {story} How do I "
    "write the check?",
    "{story}\n\nExcerpt of the offending attestation, in case it helps:\n\n```json\n{excerpt}\n```",
)
NARRATIVE_GOOD: tuple[str, ...] = (
    "{story}\n\nFor reference, this is part of a normal attestation from that step:\n\n```json\n{excerpt}"
    "\n```\n\nWhat Rego do I need?",
    "{story} A good run's attestation looks like this (cut down):\n\n```json\n{excerpt}\n```",
    "```json\n{excerpt}\n```\n\nThat's an excerpt of what witness records for us today. {story}",
)

INTENTS: dict[str, tuple[str, ...]] = {
    "write": WRITE,
    "portable": PORTABLE,
    "v0": CLASSIC,
    "translate": TRANSLATE,
    "combo": COMBO,
    "combo-list": COMBO_LIST,
    "extend": EXTEND,
    "fix": FIX_SYNTAX,
    "logic": FIX_LOGIC,
    "jwt": JWT,
    "narrative": NARRATIVE,
}


def ci_snippet(system: str, command: str) -> str:
    """A fenced CI job that runs `command` (GitHub Actions, GitLab CI, Jenkinsfile, CodeBuild or Makefile)."""
    if system == "github":
        return f"```yaml\n- name: Build with witness\n  run: {command}\n```"
    if system == "gitlab":
        return f"```yaml\nbuild:\n  stage: build\n  script:\n    - {command}\n```"
    if system == "jenkins":
        return f"```groovy\nstage('Build') {{\n  steps {{\n    sh '{command}'\n  }}\n}}\n```"
    if system == "aws-codebuild":
        return f"```yaml\nphases:\n  build:\n    commands:\n      - {command}\n```"
    return f"```make\nattest:\n\t{command}\n```"
