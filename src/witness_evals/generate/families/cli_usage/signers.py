"""How a `witness run`/`witness sign` is signed, as the user describes it and as flags (REFERENCE §2.2, §6).

Every signer is one provider (witness refuses two: `only one signer is supported`): a key file
(`-k`, optionally encrypted, optionally with an x.509 certificate chain), a KMS key (`--signer-kms-ref`),
keyless Fulcio (`--signer-fulcio-url` plus how the OIDC token is obtained) or a SPIFFE workload
socket. Each comes with several ways of saying it and the reasons an answer gives.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from witness_evals.generate.families.cli_usage import names
from witness_evals.generate.families.cli_usage.text import say
from witness_evals.generate.phrasing import pick
from witness_evals.witness.attestors.scenario import hex_id
from witness_evals.witness.versions import WitnessVersion

SIGSTORE_ISSUER = "https://oauth2.sigstore.dev/auth"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


@dataclass
class Signer:
    kind: str
    flags: list[tuple[str, Any]]
    asks: list[str]
    """Sentences of the request that state the signer."""
    why: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    loose: dict[str, list[Any]] = field(default_factory=dict)
    key: str = ""
    """The key file (`file` kinds) or KMS reference."""
    must: list[str] = field(default_factory=list)
    """Sentences an answer always keeps (they explain a flag nobody asked for)."""
    any_value: list[str] = field(default_factory=list)
    """Flags the answer adds with a value the request never states (the check wants the flag, any value)."""

    @property
    def timestamped(self) -> bool:
        return any(name == "timestamp-servers" for name, _ in self.flags)


KEYLESS_TSA = (
    "Fulcio certificates are valid for only about 10 minutes and witness checks a signature's certificate at "
    "verification time unless the signature carries a timestamp, so `--timestamp-servers {u}` is added: it "
    "stores an RFC 3161 timestamp in the signature, and {v}"
)
_TSA_TRUST = {
    False: "the policy that verifies it needs that TSA's CA certificate under `timestampauthorities`.",
    True: "`witness verify` needs that TSA's CA certificate file in `--policy-timestamp-servers`.",
}


def timestamp_keyless(rng: random.Random, signer: Signer, *, org: str, policy: bool = False) -> Signer:
    """Keyless signatures need a timestamp to outlive the ~10-minute Fulcio certificate (REFERENCE §8 25)."""
    url = names.fill(rng, names.TSAS, org=org)
    signer.flags.append(("timestamp-servers", [url]))
    signer.must.append(KEYLESS_TSA.format(u=url, v=_TSA_TRUST[policy]))
    signer.any_value.append("timestamp-servers")  # the request names no TSA: any RFC 3161 server will do
    return signer


def file_key(rng: random.Random, key: str, *, what: str = "the collection") -> Signer:
    ask = say(
        rng,
        (
            "Sign it with the private key `{k}`.",
            "The signing key is `{k}`.",
            "Our private key lives at `{k}`.",
            "It should be signed with `{k}`.",
            "Use the key file `{k}` for signing.",
            "We keep the signing key in `{k}`.",
        ),
        k=key,
    )
    why = say(
        rng,
        (
            "`-k` (`--signer-file-key-path`) is the private key that signs {w}.",
            "The private key goes in `-k`/`--signer-file-key-path`; witness signs {w} with it.",
            "`-k {k}` (long form `--signer-file-key-path`) makes witness sign {w} with that key.",
        ),
        k=key,
        w=what,
    )
    return Signer("file", [("signer-file-key-path", key)], [ask], [why], key=key)


def passphrase(rng: random.Random, signer: Signer, version: WitnessVersion, pf: str) -> Signer:
    signer.flags.append(("signer-file-key-passphrase-path", pf))
    signer.asks.append(
        say(
            rng,
            (
                "The key is encrypted and its passphrase is in `{p}`.",
                "That key is password-protected; the passphrase sits in `{p}`.",
                "It's an encrypted PEM, passphrase file `{p}`.",
            ),
            p=pf,
        )
    )
    signer.why.append(
        say(
            rng,
            (
                "`--signer-file-key-passphrase-path` reads the passphrase from a file, so it never shows up in "
                "the process list.",
                "The passphrase comes from `--signer-file-key-passphrase-path`, which keeps the secret off the "
                "command line.",
            ),
        )
    )
    if version.passphrase_flag:
        signer.notes.append(
            f"{version.label}.x also has `--signer-file-key-passphrase`, which takes the secret itself on the "
            "command line (and witness v0.11 removed it); the file keeps it out of the process list."
        )
    else:
        signer.notes.append(
            "There is no `--signer-file-key-passphrase` flag since witness v0.11 (only v0.10.x had it); "
            "the passphrase comes from a file or the `WITNESS_KEY_PASSPHRASE` environment variable."
        )
    return signer


def certificate(rng: random.Random, signer: Signer, *, step: str, project: str, org: str) -> Signer:
    cert = names.fill(rng, names.CERTS, step=step, project=project, org=org)
    signer.flags.append(("signer-file-cert-path", cert))
    if rng.random() < 0.5:
        inter = names.fill(rng, names.INTERMEDIATES, org=org)
        signer.flags.append(("signer-file-intermediate-paths", [inter]))
        signer.asks.append(
            say(
                rng,
                (
                    "The key has a certificate, `{c}`, issued by our intermediate CA `{i}`.",
                    "Its certificate is `{c}` and the chain goes through `{i}`.",
                ),
                c=cert,
                i=inter,
            )
        )
        signer.why.append(
            "`--signer-file-cert-path` and `--signer-file-intermediate-paths` put the certificate chain into the "
            "signature, so a policy can trust the signer through its root CA instead of a raw public key."
        )
    else:
        signer.asks.append(
            say(
                rng,
                (
                    "The key comes with an x.509 certificate, `{c}`, which should go into the signature.",
                    "Attach the key's certificate `{c}` as well.",
                ),
                c=cert,
            )
        )
        signer.why.append(
            "`--signer-file-cert-path` embeds the certificate in the signature, which is what a policy's "
            "`certConstraint`/`roots` check against."
        )
    return signer


def kms(rng: random.Random, version: WitnessVersion, *, org: str, region: str = "") -> Signer:
    region = region or pick(rng, ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-west-2"))
    refs = [
        f"awskms:///alias/{pick(rng, ('witness-build', 'ci-attestations', f'{org}-signing'))}",
        f"awskms:///arn:aws:kms:{region}:{rng.randint(10**11, 10**12 - 1)}:key/{hex_id(rng, 8)}-"
        f"{hex_id(rng, 4)}-{hex_id(rng, 4)}-{hex_id(rng, 4)}-{hex_id(rng, 12)}",
        f"gcpkms://projects/{org}-supply/locations/global/keyRings/witness/cryptoKeys/build-signer",
    ]
    if version.kms_hashivault:  # the HashiCorp Vault KMS provider exists since witness v0.11
        refs.append(f"hashivault://{org}-build-signer")
    ref = pick(rng, refs)
    ask = say(
        rng,
        (
            "The signing key never leaves KMS; its reference is `{r}`.",
            "Sign with our KMS key `{r}`.",
            "We use a KMS key for signing: `{r}`.",
        ),
        r=ref,
    )
    why = [
        "A KMS key is selected with `--signer-kms-ref`; `-k` is only for key files, and witness accepts exactly "
        "one signer."
    ]
    notes = []
    if ref.startswith("hashivault://"):
        notes.append("The HashiCorp Vault KMS provider (`hashivault://`) exists since witness v0.11.")
    if ref.startswith("awskms:///alias/"):
        notes.append(
            f"An alias reference like `{ref}` takes the region and credentials from the usual AWS environment "
            "of the job (`AWS_REGION`, the instance or task role)."
        )
    return Signer("kms", [("signer-kms-ref", ref)], [ask], why, notes, key=ref)


def fulcio_interactive(rng: random.Random, *, org: str, policy: bool = False) -> Signer:
    url = names.fill(rng, names.FULCIOS, org=org)
    public = url == "https://fulcio.sigstore.dev"
    issuer = SIGSTORE_ISSUER if public else f"https://dex.{org}.internal"
    client = "sigstore"
    flags: list[tuple[str, Any]] = [
        ("signer-fulcio-url", url),
        ("signer-fulcio-oidc-issuer", issuer),
        ("signer-fulcio-oidc-client-id", client),
    ]
    where = "the public Sigstore Fulcio" if public else f"our Fulcio at {url}"
    ask = say(
        rng,
        (
            "No key file: I want to sign keyless through {w} ({u}), logging in with the browser via the OIDC "
            "issuer {i} (client id `{c}`).",
            "Sign it keyless with {w} at {u}; the OIDC issuer is {i} and the client id `{c}`, and I'll log in "
            "interactively.",
        ),
        w=where,
        u=url,
        i=issuer,
        c=client,
    )
    why = [
        "On a terminal the Fulcio signer runs the OIDC login itself with `--signer-fulcio-oidc-issuer` and "
        "`--signer-fulcio-oidc-client-id`, then gets a short-lived certificate from `--signer-fulcio-url`."
    ]
    return timestamp_keyless(rng, Signer("fulcio", flags, [ask], why, key=url), org=org, policy=policy)


def fulcio_github(rng: random.Random, *, org: str) -> Signer:
    url = names.fill(rng, names.FULCIOS, org=org)
    ask = say(
        rng,
        (
            "We want keyless signing with Fulcio at {u} instead of a stored key.",
            "No long-lived key: sign keyless through Fulcio ({u}) using the job's OIDC identity.",
            "Signing should be keyless via {u}.",
        ),
        u=url,
    )
    why = [
        "Inside GitHub Actions the Fulcio signer fetches the job's OIDC token itself (audience `sigstore`), "
        "which needs `id-token: write` in `permissions`; `--signer-fulcio-url` is the only signer flag required."
    ]
    loose = {
        "signer-fulcio-oidc-issuer": [None, GITHUB_ISSUER, SIGSTORE_ISSUER],
        "signer-fulcio-oidc-client-id": [None, "sigstore"],
    }
    signer = Signer("fulcio-github", [("signer-fulcio-url", url)], [ask], why, loose=loose, key=url)
    return timestamp_keyless(rng, signer, org=org)


def fulcio_token_file(rng: random.Random, *, org: str, token_path: str, described: str) -> Signer:
    url = names.fill(rng, names.FULCIOS, org=org)
    ask = say(
        rng,
        (
            "Sign keyless through Fulcio at {u}; {d}.",
            "Keyless signing via {u} please; {d}.",
        ),
        u=url,
        d=described,
    )
    why = [
        "`--signer-fulcio-token-path` hands the OIDC token to the Fulcio signer from a file, so the JWT never "
        "appears on the command line (`--signer-fulcio-token` would put it there)."
    ]
    signer = Signer(
        "fulcio-token",
        [("signer-fulcio-url", url), ("signer-fulcio-token-path", token_path)],
        [ask],
        why,
        key=url,
    )
    return timestamp_keyless(rng, signer, org=org)


def spiffe(rng: random.Random) -> Signer:
    sock = pick(rng, ("unix:///run/spire/sockets/agent.sock", "unix:///tmp/spire-agent/public/api.sock"))
    ask = say(
        rng,
        (
            "Sign with the X.509 SVID from our SPIRE agent; the Workload API socket is `{s}`.",
            "We sign with SPIFFE: the agent's workload socket is at `{s}`.",
        ),
        s=sock,
    )
    why = [
        "`--signer-spiffe-socket-path` signs with the workload's X.509 SVID from the SPIFFE Workload API, so "
        "the signature carries the SVID certificate."
    ]
    return Signer("spiffe", [("signer-spiffe-socket-path", sock)], [ask], why, key=sock)
