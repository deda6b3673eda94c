"""Rego requirements on what a step produced: product, oci, docker, k8smanifest, sbom, sarif,
secretscan, vex, slsa, link.

Predicate shapes follow REFERENCE §1.4: product is a bare map, sbom is the raw SPDX/CycloneDX
document, slsa and link are protobuf structs marshalled with encoding/json (snake_case keys,
`Struct` values as `{"fields": {...: {"Kind": {"StringValue": ...}}}}`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from witness_evals.generate.phrasing import pick
from witness_evals.generate.rego_inputs import bases, scenario_bases
from witness_evals.generate.rego_model import (
    Bug,
    Mut,
    Req,
    Rule,
    chain,
    delp,
    edit,
    got,
    md_list,
    q,
    rarr,
    rset,
    setp,
)
from witness_evals.witness.attestors.sbom import CYCLONEDX_TYPE, SPDX_TYPE
from witness_evals.witness.digests import sha256_hex

Maker = Callable[[random.Random], Req]


def _file(path: str, mime: str) -> dict[str, Any]:
    return {"mime_type": mime, "digest": {"sha256": sha256_hex(path)}}


def _add(path: str, mime: str = "text/plain; charset=utf-8") -> Mut:
    return setp(path, value=_file(path, mime))


# ---------------------------------------------------------------------------------------------- product


def prod_has(rng: random.Random) -> Req:
    base = bases(rng, "product", step_kind=pick(rng, ("build", "package")))
    want = sorted(base[0])[0]
    entry = base[0][want]
    return Req(
        attestor="product",
        rid="has-file",
        param=want,
        rule=f"the step's products must include `{want}`",
        ask=f"make sure the step actually produced `{want}`",
        control=f"The build step SHALL produce `{want}`.",
        package="product.required",
        rules=(Rule((f"not input[{q(want)}]",), q(f"{want} was not produced")),),
        fields="The product predicate is a bare map `{path: {mime_type, digest}}`, so a product is "
        '`input["<path>"]` (there is no `Products` wrapper).',
        bases=base,
        good=setp(want, value=entry),
        bads=(chain(delp(want), _add("build.log")), edit(lambda p: p.clear())),
        bad_desc=("a run that only wrote `build.log`", "a run with no products"),
        touches=frozenset({"<keys>"}),
        paths=(('input["<path>"]', "a product's `{mime_type, digest}` (bare map keyed by path)"),),
        bugs=(
            Bug(
                "wrapper",
                f"not input[{q(want)}]",
                f"not input.Products[{q(want)}]",
                "`Products` only exists as a wrapper in the published JSON schema; the predicate Rego sees is "
                "the bare map, so `input.Products` is undefined and every attestation is denied.",
            ),
        ),
        story=(
            f"The step sometimes exits 0 without writing `{want}` and we only notice downstream. Verification "
            f"should fail when `{want}` is not among the files the step produced.",
        ),
    )


_SUFFIX_FILES = {
    ".pem": ("certs/server.pem", "text/plain; charset=utf-8"),
    ".key": ("deploy/tls.key", "text/plain; charset=utf-8"),
    ".env": ("config/prod.env", "text/plain; charset=utf-8"),
    ".p12": ("signing/release.p12", "application/octet-stream"),
}


def prod_no_suffix(rng: random.Random) -> Req:
    sfx = pick(rng, sorted(_SUFFIX_FILES))
    path, mime = _SUFFIX_FILES[sfx]
    return Req(
        attestor="product",
        rid="no-suffix",
        param=sfx,
        rule=f"no product may be a `*{sfx}` file",
        ask=f"make verification fail if the step produced any `*{sfx}` file",
        control=f"Build outputs SHALL NOT contain `*{sfx}` files.",
        package="product.forbidden",
        rules=(
            Rule(
                ("input[path]", f"endswith(path, {q(sfx)})"),
                'sprintf("product %v must not be published", [path])',
            ),
        ),
        fields="The product predicate is a bare map keyed by path, so `input[path]` iterates over the products.",
        bases=bases(rng, "product", step_kind="build"),
        good=edit(lambda p: [p.pop(k) for k in [k for k in p if k.endswith(sfx)]]),
        bads=(_add(path, mime), _add(f"leak{sfx}", mime)),
        bad_desc=(f"a run that produced `{path}`", f"a run that produced `leak{sfx}`"),
        touches=frozenset({"<keys>"}),
        paths=(("input[path]", "iterates over product paths (bare map)"),),
        story=(
            f"Security wants a tripwire for key material: if a build step produces any `*{sfx}` file (at any "
            "depth), the release must not verify. Files in the checkout don't matter, only what the step "
            "produced.",
        ),
    )


def prod_mime(rng: random.Random) -> Req:
    base = bases(rng, "product", step_kind="build")
    allowed = sorted({p["mime_type"] for b in base for p in b.values()} | {"application/x-executable"})
    extra, extra_mime = ("core.dump", "application/octet-stream")
    if extra_mime in allowed:
        extra, extra_mime = ("debug.log", "text/plain; charset=utf-8")
    return Req(
        attestor="product",
        rid="mime",
        param="|".join(allowed),
        rule=f"every product must have one of these mime types: {md_list(allowed)}",
        ask=f"only allow products whose mime type is {md_list(allowed)}",
        control=f"Build outputs SHALL be of the expected types ({', '.join(allowed)}).",
        package="product.mime",
        consts=(f"allowed_mime_types := {rset(allowed)}",),
        rules=(
            Rule(
                (("p := input[path]", "some path, p in input"), "not allowed_mime_types[p.mime_type]"),
                f'sprintf("product %v has mime type %v", [path, {got("p.mime_type")}])',
            ),
        ),
        fields="The product predicate is a bare map `{path: {mime_type, digest}}`.",
        bases=base,
        good=edit(lambda p: [p.pop(k) for k in [k for k, v in p.items() if v["mime_type"] not in allowed]]),
        bads=(_add(extra, extra_mime),),
        bad_desc=(f"an extra `{extra}` ({extra_mime})",),
        touches=frozenset({"<keys>"}),
        paths=(('input["<path>"].mime_type', "the detected mime type of a product"),),
    )


def prod_under_dir(rng: random.Random) -> Req:
    d = pick(rng, ("dist/", "out/", "target/release/"))
    return Req(
        attestor="product",
        rid="under-dir",
        param=d,
        rule=f"every product must be under `{d}`",
        ask=f"flag any file the step wrote outside `{d}`",
        control=f"Build steps SHALL only write outputs under `{d}`.",
        package="product.location",
        rules=(
            Rule(
                ("input[path]", f"not startswith(path, {q(d)})"),
                'sprintf("product %v is outside ' + d + '", [path])',
            ),
        ),
        fields="The product predicate is a bare map keyed by path (relative to the working directory).",
        bases=bases(rng, "product", step_kind="build"),
        good=edit(
            lambda p: [p.update({d + k.rsplit("/", 1)[-1]: p.pop(k)}) for k in list(p) if not k.startswith(d)]
        ),
        bads=(_add("tmp/debug.log"), _add(d.rstrip("/") + "-old/app")),
        bad_desc=("a stray `tmp/debug.log`", f"a file in `{d.rstrip('/')}-old/`"),
        touches=frozenset({"<keys>"}),
        paths=(("input[path]", "iterates over product paths (bare map)"),),
        bugs=(
            Bug(
                "no-slash",
                f"not startswith(path, {q(d)})",
                f"not startswith(path, {q(d.rstrip('/'))})",
                f"without the trailing `/`, `{d.rstrip('/')}-old/app` also starts with `{d.rstrip('/')}`.",
            ),
        ),
        story=(
            f"Our build is supposed to write its outputs under `{d}` only. A debug log and an old folder next to "
            f"it got recorded and published last time. Any product outside `{d}` should fail verification.",
        ),
    )


ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".zip")
"""The archive kinds a checksum rule covers (a `.tar.gz`-only rule would let a `.zip` ship without one)."""


def prod_checksums(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "product", step_kind="package")
    tar = next(
        (k for k in sorted(base[0]) if k.endswith(".tar.gz")),
        f"dist/{scen[0].project}-{scen[0].version}.tar.gz",
    )
    tar_entry = base[0].get(tar) or _file(tar, "application/gzip")
    zip_name = tar[: -len(".tar.gz")] + ".zip"
    kinds = ", ".join(f"`{x}`" for x in ARCHIVE_SUFFIXES[:-1]) + f" or `{ARCHIVE_SUFFIXES[-1]}`"
    return Req(
        attestor="product",
        rid="checksums",
        param=".sha256",
        rule=f"every archive product ({kinds}) must be accompanied by a `<name>.sha256` checksum product",
        ask=f"require a `.sha256` file next to every archive ({kinds}) the step produced",
        control=f"Every published archive ({kinds}) SHALL ship with a SHA-256 checksum file.",
        package="product.checksums",
        consts=(f"archive_suffixes := {rset(ARCHIVE_SUFFIXES)}",),
        rules=(
            Rule(
                (
                    "input[path]",
                    "endswith(path, archive_suffixes[_])",
                    'not input[concat("", [path, ".sha256"])]',
                ),
                'sprintf("%v has no .sha256 file", [path])',
            ),
        ),
        fields="The product predicate is a bare map keyed by path; `input[concat(...)]` looks up the companion "
        "file by its key.",
        bases=base,
        good=chain(
            edit(lambda p: [p.pop(k) for k in [k for k in p if k.endswith(ARCHIVE_SUFFIXES) and k != tar]]),
            setp(tar, value=tar_entry),
            setp(tar + ".sha256", value=_file(tar + ".sha256", "text/plain; charset=utf-8")),
        ),
        extra_pass=(
            chain(
                setp(zip_name, value=_file(zip_name, "application/zip")),
                setp(zip_name + ".sha256", value=_file(zip_name + ".sha256", "text/plain; charset=utf-8")),
            ),
        ),
        bads=(delp(tar + ".sha256"), setp(zip_name, value=_file(zip_name, "application/zip"))),
        bad_desc=(f"`{tar}` without its checksum file", f"a `{zip_name}` without a checksum file"),
        touches=frozenset({"<keys>"}),
        paths=(('input["<path>"]', "a product's `{mime_type, digest}` (bare map keyed by path)"),),
        bugs=(
            Bug(
                "tarball-only",
                "endswith(path, archive_suffixes[_])",
                'endswith(path, ".tar.gz")',
                f"checking only `.tar.gz` lets a `{zip_name}` (or a `.tgz`, `.tar.xz`) ship without its checksum.",
            ),
        ),
        story=(
            f"Every archive we publish ({kinds}) must have a `.sha256` file next to it (`<name>.sha256`, e.g. "
            f"`{tar}.sha256`). A release went out without one and the downstream installer failed. The packaging "
            "step should not verify if any archive lacks its checksum file.",
        ),
    )


# ---------------------------------------------------------------------------------------------- oci


def _tags(tags: list[str]) -> Mut:
    def run(p: Any) -> None:
        p["imagetags"] = list(tags)
        for m in p.get("manifest") or []:
            m["RepoTags"] = list(tags)

    return edit(run)


def oci_no_latest(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "oci", step_kind="image")
    repo = scen[0].image.rsplit(":", 1)[0]
    return Req(
        attestor="oci",
        rid="no-latest",
        param="latest",
        rule="no tag of the image may be `:latest`",
        ask="reject image tarballs tagged `latest`",
        control="Container images SHALL NOT be tagged `latest`.",
        package="oci.tags",
        rules=(
            Rule(
                ("tag := input.imagetags[_]", 'endswith(tag, ":latest")'),
                'sprintf("image tag %v uses latest", [tag])',
            ),
        ),
        fields="`input.imagetags` lists the tags from the image tarball's manifest (also in "
        "`input.manifest[_].RepoTags`).",
        bases=base,
        good=_tags([scen[0].image]),
        bads=(_tags([f"{repo}:latest"]), _tags([scen[0].image, f"{repo}:latest"])),
        bad_desc=("an image tagged only `latest`", "an image tagged with a version and `latest`"),
        touches=frozenset({"imagetags", "manifest"}),
        paths=(("input.imagetags", "the image tags from the tarball manifest"),),
        bugs=(
            Bug(
                "first-only",
                "tag := input.imagetags[_]",
                "tag := input.imagetags[0]",
                "`imagetags[0]` only checks the first tag, so `latest` in second position passes; iterate "
                "over all of them.",
            ),
        ),
    )


def oci_tag(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "oci", step_kind="image")
    repo = scen[0].image.rsplit(":", 1)[0]
    return Req(
        attestor="oci",
        rid="tag",
        param=scen[0].image,
        rule=f"the image must be tagged `{scen[0].image}`",
        ask=f"check that the image tarball carries the tag `{scen[0].image}`",
        control=f"The released image SHALL be tagged `{scen[0].image}`.",
        package="oci.tag",
        rules=(Rule(("not tag_ok",), q(f"image is not tagged {scen[0].image}")),),
        helpers=(("tag_ok", (f"input.imagetags[_] == {q(scen[0].image)}",)),),
        fields="`input.imagetags` lists the tags from the image tarball's manifest.",
        bases=base,
        good=_tags([scen[0].image]),
        bads=(_tags([f"{repo}:latest"]), _tags([f"{repo}:0.0.0-dev"])),
        bad_desc=("an image tagged `latest`", "an image tagged `0.0.0-dev`"),
        touches=frozenset({"imagetags", "manifest"}),
        paths=(("input.imagetags", "the image tags from the tarball manifest"),),
    )


def oci_max_layers(rng: random.Random) -> Req:
    limit = pick(rng, (4, 6, 8))

    def layers(n: int) -> Mut:
        def run(p: Any) -> None:
            ids = [{"sha256": sha256_hex(f"layer{i}")} for i in range(n)]
            p["diffids"] = ids
            for m in p.get("manifest") or []:
                m["Layers"] = [f"blobs/sha256/{sha256_hex(f'blob{i}')}" for i in range(n)]

        return edit(run)

    return Req(
        attestor="oci",
        rid="max-layers",
        param=str(limit),
        rule=f"the image may have at most {limit} layers",
        ask=f"fail images with more than {limit} layers",
        control=f"Container images SHALL have no more than {limit} layers.",
        package="oci.layers",
        rules=(
            Rule(
                (f"count(input.diffids) > {limit}",),
                f'sprintf("image has %d layers (max {limit})", [count(input.diffids)])',
            ),
        ),
        fields="`input.diffids` lists one DigestSet per uncompressed layer (also `manifest[_].Layers`).",
        bases=bases(rng, "oci", step_kind="image"),
        good=layers(limit - 1),
        extra_pass=(layers(limit),),
        bads=(layers(limit + 1),),
        bad_desc=(f"an image with {limit + 1} layers",),
        touches=frozenset({"diffids", "manifest"}),
        paths=(("input.diffids", "one DigestSet per image layer"),),
        bugs=(
            Bug(
                "boundary",
                f"count(input.diffids) > {limit}",
                f"count(input.diffids) >= {limit}",
                f"`>= {limit}` also rejects an image with exactly {limit} layers, which is allowed.",
            ),
        ),
    )


def oci_registry(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "oci", step_kind="image")
    prefix = f"ghcr.io/{scen[0].org}/"
    good_tag = f"{prefix}{scen[0].project}:{scen[0].version}"
    return Req(
        attestor="oci",
        rid="registry",
        param=prefix,
        rule=f"every tag of the image must be under `{prefix}`",
        ask=f"only accept images tagged for `{prefix}`",
        control=f"Images SHALL only be published to `{prefix}`.",
        package="oci.registry",
        rules=(
            Rule(
                ("tag := input.imagetags[_]", f"not startswith(tag, {q(prefix)})"),
                'sprintf("tag %v is outside the allowed registry", [tag])',
            ),
        ),
        fields="`input.imagetags` lists the full tags (`registry/repo:tag`) from the tarball's manifest.",
        bases=base,
        good=_tags([good_tag]),
        bads=(
            _tags([f"docker.io/{scen[0].org}/{scen[0].project}:{scen[0].version}"]),
            _tags([good_tag, f"ghcr.io/{scen[0].org}-mirror/{scen[0].project}:{scen[0].version}"]),
        ),
        bad_desc=("an image tagged for Docker Hub", "an image also tagged for a mirror org"),
        touches=frozenset({"imagetags", "manifest"}),
        paths=(("input.imagetags", "the image tags from the tarball manifest"),),
    )


# ---------------------------------------------------------------------------------------------- docker


def _refs(refs: list[str]) -> Mut:
    return edit(
        lambda p: [v.update({"imagereferences": list(refs)}) for v in (p.get("products") or {}).values()]
    )


def docker_latest(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "docker", step_kind="image")
    repo = scen[0].image.rsplit(":", 1)[0]
    return Req(
        attestor="docker",
        rid="no-latest",
        param="latest",
        rule="no image reference in the docker attestation may use the `:latest` tag",
        ask="reject docker builds that pushed a `latest` tag",
        control="Images SHALL NOT be published with the `latest` tag.",
        package="docker.tags",
        rules=(
            Rule(
                ('ref := split(input.products[_].imagereferences[_], ",")[_]', 'endswith(ref, ":latest")'),
                'sprintf("image reference %v uses latest", [ref])',
            ),
        ),
        fields="`input.products` maps each built image's digest to `{materials, imagereferences, imagedigest}`; "
        "`imagereferences` holds one string, buildx's `image.name`, in which several `-t` tags are joined by "
        "commas, so the module splits it.",
        bases=base,
        good=_refs([scen[0].image]),
        bads=(_refs([f"{repo}:latest"]), _refs([f"{scen[0].image},{repo}:latest"])),
        bad_desc=("an image pushed as `latest`", "an image pushed with a version and `latest`"),
        touches=frozenset({"products.imagereferences"}),
        paths=(("input.products[_].imagereferences", "the references (tags) of each built image"),),
    )


def docker_registry(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "docker", step_kind="image")
    prefix = scen[0].image.rsplit("/", 1)[0] + "/"
    name = scen[0].image.rsplit("/", 1)[1]
    return Req(
        attestor="docker",
        rid="registry",
        param=prefix,
        rule=f"every image reference must start with `{prefix}`",
        ask=f"make sure images only go to `{prefix}`",
        control=f"Images SHALL only be pushed to `{prefix}`.",
        package="docker.registry",
        rules=(
            Rule(
                ("ref := input.products[_].imagereferences[_]", f"not startswith(ref, {q(prefix)})"),
                'sprintf("image %v is outside the allowed registry", [ref])',
            ),
        ),
        fields="`input.products` maps each built image to `{materials, imagereferences, imagedigest}`.",
        bases=base,
        good=_refs([scen[0].image]),
        bads=(_refs([f"docker.io/randomuser/{name}"]), _refs([scen[0].image, f"quay.io/x/{name}"])),
        bad_desc=("an image pushed to Docker Hub", "an image also pushed to quay.io"),
        touches=frozenset({"products.imagereferences"}),
        paths=(("input.products[_].imagereferences", "the references (tags) of each built image"),),
    )


def docker_base_images(rng: random.Random) -> Req:
    prefix = pick(rng, ("pkg:docker/gcr.io/distroless/", "pkg:docker/cgr.dev/chainguard/"))
    good_uri = prefix + (
        "static@nonroot?platform=linux%2Famd64"
        if "distroless" in prefix
        else "static:latest?platform=linux%2Famd64"
    )

    def materials(*uris: str) -> Mut:
        def run(p: Any) -> None:
            for v in (p.get("products") or {}).values():
                v["materials"] = {
                    "linux/amd64": [
                        {"uri": u, "architecture": "linux/amd64", "digest": {"sha256": sha256_hex(u)}}
                        for u in uris
                    ]
                }

        return edit(run)

    return Req(
        attestor="docker",
        rid="base-images",
        param=prefix,
        rule=f"every base image (docker material) must have a purl starting with `{prefix}`",
        ask=f"only allow base images from `{prefix.removeprefix('pkg:docker/')}`",
        control=f"Container images SHALL be built on approved base images ({prefix.removeprefix('pkg:docker/')}).",
        package="docker.base",
        rules=(
            Rule(
                ("m := input.products[_].materials[_][_]", f"not startswith(m.uri, {q(prefix)})"),
                'sprintf("base image %v is not approved", [m.uri])',
            ),
        ),
        fields="`input.products[_].materials` maps each platform (`linux/amd64`) to a list of base images "
        "`{uri, architecture, digest}`, with `uri` a `pkg:docker/...` purl.",
        bases=bases(rng, "docker", step_kind="image"),
        good=materials(good_uri),
        bads=(materials(good_uri, "pkg:docker/python:3.12-slim?platform=linux%2Famd64"),),
        bad_desc=("a build that also used `python:3.12-slim`",),
        touches=frozenset({"products.materials"}),
        paths=(("input.products[_].materials", "platform -> base images `{uri, architecture, digest}`"),),
    )


# ---------------------------------------------------------------------------------------------- k8smanifest


def _images(*refs: str) -> Mut:
    def run(p: Any) -> None:
        for doc in p.get("recordeddocs") or []:
            if doc["kind"] == "Deployment":
                doc["recordedimages"] = [{"reference": r, "digest": {"sha256": sha256_hex(r)}} for r in refs]
                doc["data"]["spec"]["template"]["spec"]["containers"][0]["image"] = refs[0]

    return edit(run)


def k8s_pinned(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "k8smanifest", step_kind="deploy")
    repo = scen[0].image.rsplit(":", 1)[0]
    pinned = f"{repo}@sha256:{scen[0].image_digest}"
    return Req(
        attestor="k8smanifest",
        rid="digest-pinned",
        param="@sha256",
        rule="every image in the recorded manifests must be referenced by digest (`@sha256:`)",
        ask="deny deployments whose manifests use image tags instead of digests",
        control="Deployed workloads SHALL reference container images by digest.",
        package="k8s.images",
        rules=(
            Rule(
                ("img := input.recordeddocs[_].recordedimages[_]", 'not contains(img.reference, "@sha256:")'),
                f'sprintf("image %v is not pinned by digest", [{got("img.reference")}])',
            ),
        ),
        fields="`input.recordeddocs` lists each manifest document (`filepath`, `kind`, `name`, `data`, "
        "`recordedimages`); `recordedimages[_].reference` is each image the document uses.",
        bases=base,
        good=_images(pinned),
        bads=(_images(f"{repo}:latest"), _images(f"{repo}:{scen[0].version}")),
        bad_desc=("a deployment using `:latest`", f"a deployment using the tag `{scen[0].version}`"),
        touches=frozenset({"recordeddocs.images"}),
        paths=(
            ("input.recordeddocs[_].recordedimages[_].reference", "each image reference in the manifests"),
        ),
        story=(
            f"For production we only deploy images by digest (`{repo}@sha256:...`); tags can be moved. The "
            "deploy step records the manifests it applies. Anything that references an image by tag must fail "
            "verification.",
        ),
    )


def k8s_namespace(rng: random.Random) -> Req:
    ns = pick(rng, ("prod", "payments", "production"))

    def set_ns(value: str, only_first: bool = False) -> Mut:
        def run(p: Any) -> None:
            for i, doc in enumerate(p.get("recordeddocs") or []):
                if only_first and i:
                    break
                doc["data"]["metadata"]["namespace"] = value

        return edit(run)

    return Req(
        attestor="k8smanifest",
        rid="namespace",
        param=ns,
        rule=f"every recorded Kubernetes object must be in the namespace `{ns}`",
        ask=f"make sure the manifests only deploy into `{ns}`",
        control=f"This pipeline SHALL only deploy to the `{ns}` namespace.",
        package="k8s.namespace",
        rules=(
            Rule(
                ("doc := input.recordeddocs[_]", f"not doc.data.metadata.namespace == {q(ns)}"),
                'sprintf("%v/%v is not in namespace ' + ns + '", [doc.kind, doc.name])',
            ),
        ),
        fields="`input.recordeddocs[_].data` is the whole manifest object, so the namespace is "
        "`data.metadata.namespace`; `not ... ==` also denies a document without one.",
        bases=bases(rng, "k8smanifest", step_kind="deploy"),
        good=set_ns(ns),
        bads=(
            set_ns("default", only_first=True),
            edit(lambda p: p["recordeddocs"][0]["data"]["metadata"].pop("namespace")),
        ),
        bad_desc=("a Deployment in `default`", "a Deployment without a namespace"),
        touches=frozenset({"recordeddocs.namespace"}),
        paths=(("input.recordeddocs[_].data.metadata.namespace", "the namespace of each manifest object"),),
    )


def k8s_kinds(rng: random.Random) -> Req:
    allowed = sorted(
        {"Deployment", "Service", pick(rng, ("ConfigMap", "HorizontalPodAutoscaler", "Ingress"))}
    )
    bad_kind = pick(rng, ("ClusterRoleBinding", "DaemonSet", "Secret"))

    def add_kind(p: Any) -> None:
        p["recordeddocs"].append(
            {
                "filepath": "manifests.yaml",
                "kind": bad_kind,
                "name": "extra",
                "data": {"apiVersion": "v1", "kind": bad_kind, "metadata": {"name": "extra"}},
                "subjectkey": f"k8smanifest:manifests.yaml:{bad_kind}:extra",
                "recordedimages": [],
            }
        )

    return Req(
        attestor="k8smanifest",
        rid="kinds",
        param=",".join(allowed),
        rule=f"the manifests may only contain objects of kind {md_list(allowed)}",
        ask=f"block manifests that contain anything other than {md_list(allowed)}",
        control=f"Application deployments SHALL only create {', '.join(allowed)} objects.",
        package="k8s.kinds",
        consts=(f"allowed_kinds := {rset(allowed)}",),
        rules=(
            Rule(
                ("doc := input.recordeddocs[_]", "not allowed_kinds[doc.kind]"),
                f'sprintf("%v %v is not allowed", [{got("doc.kind")}, doc.name])',
            ),
        ),
        fields="`input.recordeddocs[_].kind` is the `kind` of each recorded manifest document.",
        bases=bases(rng, "k8smanifest", step_kind="deploy"),
        good=edit(
            lambda p: p.update({"recordeddocs": [d for d in p["recordeddocs"] if d["kind"] in allowed]})
        ),
        bads=(edit(add_kind),),
        bad_desc=(f"a manifest that adds a `{bad_kind}`",),
        touches=frozenset({"recordeddocs.kinds"}),
        paths=(("input.recordeddocs[_].kind", "the kind of each manifest object"),),
    )


def k8s_replicas(rng: random.Random) -> Req:
    floor = pick(rng, (2, 3))

    def replicas(n: int) -> Mut:
        return edit(
            lambda p: [
                d["data"]["spec"].update({"replicas": n})
                for d in p["recordeddocs"]
                if d["kind"] == "Deployment"
            ]
        )

    return Req(
        attestor="k8smanifest",
        rid="replicas",
        param=str(floor),
        rule=f"every Deployment must request at least {floor} replicas",
        ask=f"reject Deployments with fewer than {floor} replicas",
        control=f"Production Deployments SHALL run at least {floor} replicas.",
        package="k8s.replicas",
        rules=(
            Rule(
                (
                    "doc := input.recordeddocs[_]",
                    'doc.kind == "Deployment"',
                    'replicas := object.get(doc.data, ["spec", "replicas"], 1)',
                    f"replicas < {floor}",
                ),
                'sprintf("deployment %v has %v replicas", [doc.name, replicas])',
            ),
        ),
        fields="`input.recordeddocs[_].data` is the manifest object, so a Deployment's replica count is "
        "`data.spec.replicas` (a number); Kubernetes runs 1 replica when it is omitted, so the rule defaults it to 1.",
        bases=bases(rng, "k8smanifest", step_kind="deploy"),
        good=replicas(floor + 1),
        extra_pass=(replicas(floor),),
        bads=(
            replicas(1),
            edit(
                lambda p: [
                    d["data"]["spec"].pop("replicas", None)
                    for d in p["recordeddocs"]
                    if d["kind"] == "Deployment"
                ]
            ),
        ),
        bad_desc=("a Deployment with 1 replica", "a Deployment that omits `replicas` (Kubernetes runs 1)"),
        touches=frozenset({"recordeddocs.replicas"}),
        paths=(("input.recordeddocs[_].data.spec.replicas", "a Deployment's replica count"),),
        bugs=(
            Bug(
                "boundary",
                f"replicas < {floor}",
                f"replicas <= {floor}",
                f"`<= {floor}` also rejects exactly {floor} replicas, which meets the requirement.",
            ),
        ),
    )


def k8s_dry_run(rng: random.Random) -> Req:
    return Req(
        attestor="k8smanifest",
        rid="server-side-dry-run",
        param="true",
        rule="the manifests must have been normalised with a server-side dry run",
        ask="require that the k8smanifest attestor ran with a server-side dry run",
        control="Deployment manifests SHALL be validated against the API server before deployment.",
        package="k8s.dryrun",
        rules=(
            Rule(("not input.serversidedryrun",), q("manifests were not checked with a server-side dry run")),
        ),
        fields="`input.serversidedryrun` is `true` when `witness run` used "
        "`--attestor-k8smanifest-server-side-dry-run`; the field is omitted when it was off.",
        bases=bases(rng, "k8smanifest", step_kind="deploy"),
        good=setp("serversidedryrun", value=True),
        bads=(delp("serversidedryrun"),),
        bad_desc=("a run without the dry run",),
        touches=frozenset({"serversidedryrun"}),
        paths=(("input.serversidedryrun", "whether a server-side dry run normalised the manifests"),),
    )


# ---------------------------------------------------------------------------------------------- sbom


def spdx_name(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "sbom", step_kind="sbom", sbom_kind="spdx")
    other = pick(rng, [p for p in ("api", "ledger", "catalog", "payments") if p != scen[0].project])
    return Req(
        attestor="sbom",
        rid="spdx-name",
        param=scen[0].project,
        rule=f"the SPDX document's name must be `{scen[0].project}`",
        ask=f"check that the SPDX SBOM describes `{scen[0].project}`",
        control=f"The SBOM attached to the release SHALL describe `{scen[0].project}`.",
        package="sbom.name",
        rules=(
            Rule(
                (f"not input.name == {q(scen[0].project)}",),
                f'sprintf("SBOM is for %v", [{got("input.name")}])',
            ),
        ),
        fields="The sbom predicate is the raw SPDX JSON document, so its name is `input.name`.",
        bases=base,
        good=setp("name", value=scen[0].project),
        bads=(setp("name", value=other),),
        bad_desc=(f"an SBOM named `{other}`",),
        touches=frozenset({"name"}),
        att_type=SPDX_TYPE,
        paths=(("input.name", "the SPDX document name"),),
    )


def spdx_creator(rng: random.Random) -> Req:
    return Req(
        attestor="sbom",
        rid="spdx-creator",
        param="syft",
        rule="the SPDX document must have been created by syft (a `Tool: syft-...` entry in "
        "`creationInfo.creators`)",
        ask="only accept SPDX SBOMs generated by syft",
        control="SBOMs SHALL be generated with the approved tool (syft).",
        package="sbom.creator",
        rules=(Rule(("not made_by_syft",), q("SBOM was not generated by syft")),),
        helpers=(
            (
                "made_by_syft",
                ("creator := input.creationInfo.creators[_]", 'startswith(creator, "Tool: syft-")'),
            ),
        ),
        fields="The sbom predicate is the raw SPDX document; its creators are `input.creationInfo.creators`.",
        bases=bases(rng, "sbom", step_kind="sbom", sbom_kind="spdx"),
        good=setp("creationInfo", "creators", value=["Organization: Anchore, Inc", "Tool: syft-1.18.0"]),
        bads=(setp("creationInfo", "creators", value=["Organization: Aqua Security", "Tool: trivy-0.50.1"]),),
        bad_desc=("an SBOM made by trivy",),
        touches=frozenset({"creationInfo"}),
        att_type=SPDX_TYPE,
        paths=(("input.creationInfo.creators", "the SPDX creators (`Tool: ...`, `Organization: ...`)"),),
    )


def spdx_no_gpl(rng: random.Random) -> Req:
    banned = sorted(rng.sample(["GPL-2.0-only", "GPL-3.0-only", "AGPL-3.0-only", "GPL-3.0-or-later"], 3))

    def add_pkg(lic: str) -> Mut:
        def run(p: Any) -> None:
            p["packages"].append(
                {
                    "name": "libgplthing",
                    "SPDXID": "SPDXRef-Package-libgplthing",
                    "versionInfo": "1.2.0",
                    "supplier": "NOASSERTION",
                    "downloadLocation": "NOASSERTION",
                    "filesAnalyzed": False,
                    "licenseConcluded": "NOASSERTION",
                    "licenseDeclared": lic,
                    "copyrightText": "NOASSERTION",
                }
            )

        return edit(run)

    return Req(
        attestor="sbom",
        rid="spdx-license",
        param=",".join(banned),
        rule=f"no package in the SPDX SBOM may declare the license {md_list(banned)}",
        ask=f"block releases that contain packages licensed {md_list(banned)}",
        control=f"Shipped software SHALL NOT include components licensed under {', '.join(banned)}.",
        package="sbom.licenses",
        consts=(f"banned_licenses := {rset(banned)}",),
        rules=(
            Rule(
                ("pkg := input.packages[_]", "banned_licenses[pkg.licenseDeclared]"),
                'sprintf("%v %v is licensed %v", [pkg.name, pkg.versionInfo, pkg.licenseDeclared])',
            ),
        ),
        fields="The sbom predicate is the raw SPDX document; `input.packages` lists packages with `name`, "
        "`versionInfo`, `licenseDeclared`, `licenseConcluded`.",
        bases=bases(rng, "sbom", step_kind="sbom", sbom_kind="spdx"),
        good=edit(
            lambda p: p.update(
                {"packages": [x for x in p["packages"] if x.get("licenseDeclared") not in banned]}
            )
        ),
        bads=(add_pkg(banned[0]), add_pkg(banned[-1])),
        bad_desc=(f"a package licensed `{banned[0]}`", f"a package licensed `{banned[-1]}`"),
        touches=frozenset({"packages"}),
        att_type=SPDX_TYPE,
        paths=(("input.packages[_].licenseDeclared", "each SPDX package's declared license"),),
    )


def spdx_version(rng: random.Random) -> Req:
    return Req(
        attestor="sbom",
        rid="spdx-version",
        param="SPDX-2.3",
        rule="the SBOM must be an SPDX 2.3 document",
        ask="only accept SPDX 2.3 SBOMs",
        control="SBOMs SHALL conform to SPDX 2.3.",
        package="sbom.spdxversion",
        rules=(Rule(('input.spdxVersion != "SPDX-2.3"',), 'sprintf("SBOM is %v", [input.spdxVersion])'),),
        fields="The sbom predicate is the raw SPDX document; its version is `input.spdxVersion` (e.g. "
        "`SPDX-2.3`).",
        bases=bases(rng, "sbom", step_kind="sbom", sbom_kind="spdx"),
        good=setp("spdxVersion", value="SPDX-2.3"),
        bads=(setp("spdxVersion", value="SPDX-2.2"),),
        bad_desc=("an SPDX 2.2 document",),
        touches=frozenset({"spdxVersion"}),
        att_type=SPDX_TYPE,
        paths=(("input.spdxVersion", "the SPDX spec version"),),
    )


def cdx_name(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "sbom", step_kind="sbom", sbom_kind="cyclonedx")
    other = pick(rng, [p for p in ("api", "ledger", "catalog") if p != scen[0].project])
    return Req(
        attestor="sbom",
        rid="cdx-name",
        param=scen[0].project,
        rule=f"the CycloneDX BOM's main component (`metadata.component.name`) must be `{scen[0].project}`",
        ask=f"check that the CycloneDX SBOM is about `{scen[0].project}`",
        control=f"The SBOM SHALL describe the component `{scen[0].project}`.",
        package="sbom.component",
        rules=(
            Rule(
                (f"not input.metadata.component.name == {q(scen[0].project)}",),
                q(f"SBOM is not for {scen[0].project}"),
            ),
        ),
        fields="The sbom predicate is the raw CycloneDX document; the described component is "
        "`input.metadata.component`.",
        bases=base,
        good=setp("metadata", "component", "name", value=scen[0].project),
        bads=(setp("metadata", "component", "name", value=other),),
        bad_desc=(f"a BOM for `{other}`",),
        touches=frozenset({"metadata.name"}),
        att_type=CYCLONEDX_TYPE,
        paths=(("input.metadata.component.name", "the name of the component the BOM describes"),),
    )


def cdx_version(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "sbom", step_kind="sbom", sbom_kind="cyclonedx")
    v = scen[0].version
    return Req(
        attestor="sbom",
        rid="cdx-version",
        param=v,
        rule=f"the CycloneDX BOM must describe version `{v}` of the component",
        ask=f"make sure the CycloneDX SBOM's component version is `{v}`",
        control=f"The SBOM SHALL match the released version `{v}`.",
        package="sbom.version",
        rules=(
            Rule(
                (f"not input.metadata.component.version == {q(v)}",),
                'sprintf("SBOM describes version %v", [object.get(input, ["metadata", "component", "version"], "(none)")])',
            ),
        ),
        fields="The sbom predicate is the raw CycloneDX document; `input.metadata.component.version` is the "
        "described component's version.",
        bases=base,
        good=setp("metadata", "component", "version", value=v),
        bads=(
            setp("metadata", "component", "version", value="0.0.0-dev"),
            delp("metadata", "component", "version"),
            delp("metadata", "component"),
        ),
        bad_desc=(
            "a BOM for `0.0.0-dev`",
            "a BOM without a component version",
            "a BOM without a main component",
        ),
        touches=frozenset({"metadata.version"}),
        att_type=CYCLONEDX_TYPE,
        paths=(("input.metadata.component.version", "the version of the described component"),),
    )


def cdx_banned_purl(rng: random.Random) -> Req:
    prefix = pick(rng, ("pkg:npm/event-stream@", "pkg:npm/ua-parser-js@0.7.29", "pkg:pypi/ctx@"))

    def add(purl: str) -> Mut:
        return edit(
            lambda p: p["components"].append(
                {
                    "bom-ref": purl,
                    "type": "library",
                    "name": purl.split("/")[1].split("@")[0],
                    "version": purl.rsplit("@", 1)[1] or "0.0.1",
                    "purl": purl,
                }
            )
        )

    bad_purl = prefix + (
        "3.3.6" if prefix.endswith("@") and "event" in prefix else "0.0.1" if prefix.endswith("@") else ""
    )
    return Req(
        attestor="sbom",
        rid="cdx-banned-purl",
        param=prefix,
        rule=f"no component may have a purl starting with `{prefix}`",
        ask=f"fail verification if the CycloneDX SBOM lists anything matching `{prefix}`",
        control=f"Components matching `{prefix}` SHALL NOT be shipped.",
        package="sbom.banned",
        rules=(
            Rule(
                ("c := input.components[_]", f"startswith(c.purl, {q(prefix)})"),
                'sprintf("banned component %v", [c.purl])',
            ),
        ),
        fields="The sbom predicate is the raw CycloneDX document; `input.components` lists components with "
        "`name`, `version` and `purl`.",
        bases=bases(rng, "sbom", step_kind="sbom", sbom_kind="cyclonedx"),
        good=edit(
            lambda p: p.update(
                {
                    "components": [
                        c for c in p.get("components", []) if not c.get("purl", "").startswith(prefix)
                    ]
                }
            )
        ),
        bads=(add(bad_purl),),
        bad_desc=(f"a BOM containing `{bad_purl}`",),
        touches=frozenset({"components"}),
        att_type=CYCLONEDX_TYPE,
        paths=(("input.components[_].purl", "each component's package URL"),),
    )


# ---------------------------------------------------------------------------------------------- sarif


def _results(*levels: tuple[str, str]) -> Mut:
    def run(p: Any) -> None:
        runs = p["report"]["runs"]
        runs[0]["results"] = [
            {
                "ruleId": rule,
                "level": level,
                "message": {"text": "finding"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": "src/app.js"},
                            "region": {"startLine": 10 + i},
                        }
                    }
                ],
            }
            for i, (rule, level) in enumerate(levels)
        ]

    return edit(run)


def sarif_no_errors(rng: random.Random) -> Req:
    return Req(
        attestor="sarif",
        rid="no-errors",
        param="error",
        rule="the SARIF report must contain no result with level `error`",
        ask="fail verification when the scanner reported any error-level finding",
        control="Releases SHALL have no open error-level static-analysis findings.",
        package="sarif.errors",
        rules=(
            Rule(
                ("result := input.report.runs[_].results[_]", 'result.level == "error"'),
                'sprintf("%v: %v", [object.get(result, "ruleId", "(no ruleId)"), object.get(result, ["message", "text"], "")])',
            ),
        ),
        fields="The sarif predicate embeds the report as `input.report` (plus `reportFileName`, "
        "`reportDigestSet`); findings are `report.runs[_].results[_]` with `ruleId`, `level`, `message`.",
        bases=bases(rng, "sarif", step_kind="scan"),
        good=_results(("javascript.lang.security.audit.unsafe-eval", "warning")),
        extra_pass=(_results(),),
        bads=(
            _results(
                ("javascript.lang.security.audit.unsafe-eval", "warning"),
                ("generic.secrets.security.detected-generic-secret", "error"),
            ),
        ),
        bad_desc=("a report with one error-level result",),
        touches=frozenset({"report.results"}),
        paths=(("input.report.runs[_].results[_].level", "the level of each SARIF result"),),
        bugs=(
            Bug(
                "top-level",
                "result := input.report.runs[_].results[_]",
                "result := input.runs[_].results[_]",
                "the SARIF document is nested under `report` in the sarif predicate; `input.runs` is undefined, "
                "so nothing is ever denied.",
            ),
        ),
    )


def sarif_tool(rng: random.Random) -> Req:
    tool = pick(rng, ("Semgrep OSS", "CodeQL"))
    return Req(
        attestor="sarif",
        rid="tool",
        param=tool,
        rule=f"the SARIF report must come from `{tool}`",
        ask=f"check that the attached SARIF was produced by {tool}",
        control=f"Static analysis SHALL be performed with {tool}.",
        package="sarif.tool",
        rules=(
            Rule(
                ("run := input.report.runs[_]", f"not run.tool.driver.name == {q(tool)}"),
                f'sprintf("SARIF produced by %v", [{got("run.tool.driver.name")}])',
            ),
        ),
        fields="Each SARIF run names its tool in `input.report.runs[_].tool.driver.name`.",
        bases=bases(rng, "sarif", step_kind="scan"),
        good=edit(lambda p: [r["tool"]["driver"].update({"name": tool}) for r in p["report"]["runs"]]),
        bads=(edit(lambda p: [r["tool"]["driver"].update({"name": "Bandit"}) for r in p["report"]["runs"]]),),
        bad_desc=("a report produced by Bandit",),
        touches=frozenset({"report.tool"}),
        paths=(("input.report.runs[_].tool.driver.name", "the name of the tool that produced each run"),),
    )


def sarif_max_warnings(rng: random.Random) -> Req:
    limit = pick(rng, (2, 3, 5))
    w = ("javascript.lang.correctness.useless-assign", "warning")
    return Req(
        attestor="sarif",
        rid="max-warnings",
        param=str(limit),
        rule=f"the report may contain at most {limit} warning-level results",
        ask=f"fail when the scan produced more than {limit} warnings",
        control=f"No more than {limit} warning-level findings SHALL remain open at release.",
        package="sarif.warnings",
        rules=(
            Rule(
                (
                    'warnings := [r | r := input.report.runs[_].results[_]; r.level == "warning"]',
                    f"count(warnings) > {limit}",
                ),
                f'sprintf("%d warnings (limit {limit})", [count(warnings)])',
            ),
        ),
        fields="Findings are `input.report.runs[_].results[_]`; an array comprehension collects the "
        "warning-level ones so `count` can be compared.",
        bases=bases(rng, "sarif", step_kind="scan"),
        good=_results(*([w] * (limit - 1))),
        extra_pass=(_results(*([w] * limit), ("x.note", "note")),),
        bads=(_results(*([w] * (limit + 1))),),
        bad_desc=(f"a report with {limit + 1} warnings",),
        touches=frozenset({"report.results"}),
        paths=(("input.report.runs[_].results", "the SARIF results of each run"),),
    )


# ---------------------------------------------------------------------------------------------- secretscan


def _finding(rule: str, location: str, entropy: float) -> dict[str, Any]:
    return {
        "ruleId": rule,
        "description": "Detected a secret.",
        "location": f"product:{location}",
        "startLine": 12,
        "secret": {"sha256": sha256_hex(f"{rule}:{location}")},
        "match": 'token = "[SENSITIVE-VALUE]"',
        "entropy": entropy,
    }


def ss_clean(rng: random.Random) -> Req:
    rule = pick(rng, ("generic-api-key", "aws-access-token", "github-pat", "private-key"))
    return Req(
        attestor="secretscan",
        rid="no-findings",
        param="",
        rule="the secret scan must have no findings",
        ask="fail verification if the secret scan found anything",
        control="Build outputs SHALL be free of detected secrets.",
        package="secretscan.clean",
        rules=(
            Rule(
                ("f := input.findings[_]",),
                'sprintf("secret found by rule %v in %v line %v", [f.ruleId, f.location, f.startLine])',
            ),
        ),
        fields="`input.findings` is the list of gitleaks findings over the step's products (secrets are "
        'recorded as digests only); a clean scan is recorded as `"findings": null`, not `[]` (go-witness '
        "never initialises the list), and iterating it then gives no message.",
        bases=bases(rng, "secretscan"),
        # `[]` stands in for the real `null`: OPA (non-strict builtin errors) treats `count(null)` and
        # `some f in null` as undefined, the same outcome as on `[]`, where regorus raises (rego/engine.py)
        good=setp("findings", value=[]),
        bads=(setp("findings", value=[_finding(rule, "dist/app.js", 4.6)]),),
        bad_desc=(f"a `{rule}` finding",),
        touches=frozenset({"findings"}),
        paths=(("input.findings", "the secret-scan findings"),),
    )


def ss_testdata(rng: random.Random) -> Req:
    d = pick(rng, ("testdata/", "test/fixtures/", "examples/"))
    return Req(
        attestor="secretscan",
        rid="only-in-fixtures",
        param=d,
        rule=f"secret findings are only tolerated under `{d}`",
        ask=f"ignore findings in `{d}` but fail on any other finding",
        control=f"Detected secrets SHALL only be accepted in test fixtures (`{d}`).",
        package="secretscan.fixtures",
        rules=(
            Rule(
                ("f := input.findings[_]", f"not startswith(f.location, {q('product:' + d)})"),
                f'sprintf("%v found in %v", [f.ruleId, {got("f.location")}])',
            ),
        ),
        fields="`input.findings[_].location` says where each finding is: `product:<path>` for a product file "
        "(`attestation:<attestor>` for one found in another attestation), so the prefix test includes `product:`.",
        bases=bases(rng, "secretscan"),
        good=setp("findings", value=[_finding("generic-api-key", f"{d}fake.env", 3.9)]),
        extra_pass=(setp("findings", value=[]),),
        bads=(setp("findings", value=[_finding("private-key", "dist/config.yaml", 4.8)]),),
        bad_desc=("a private key in `dist/config.yaml`",),
        touches=frozenset({"findings"}),
        paths=(("input.findings[_].location", "where a finding is (`product:<path>`)"),),
    )


def ss_entropy(rng: random.Random) -> Req:
    limit = pick(rng, (4.0, 4.5))
    return Req(
        attestor="secretscan",
        rid="entropy",
        param=str(limit),
        rule=f"no finding may have an entropy above {limit}",
        ask=f"fail on findings with entropy over {limit} (lower ones are usually noise for us)",
        control=f"High-entropy secret findings (entropy > {limit}) SHALL block the release.",
        package="secretscan.entropy",
        rules=(
            Rule(
                ("f := input.findings[_]", f"f.entropy > {limit}"),
                'sprintf("%v (entropy %v) in %v", [f.ruleId, f.entropy, f.location])',
            ),
        ),
        fields="`input.findings[_].entropy` is the Shannon entropy of the matched value (a number).",
        bases=bases(rng, "secretscan"),
        good=setp("findings", value=[_finding("generic-api-key", "docs/example.md", round(limit - 0.7, 1))]),
        bads=(setp("findings", value=[_finding("aws-access-token", "dist/app.js", round(limit + 0.4, 1))]),),
        bad_desc=("a finding with high entropy",),
        touches=frozenset({"findings"}),
        paths=(("input.findings[_].entropy", "the entropy of a finding"),),
    )


# ---------------------------------------------------------------------------------------------- vex


_UNNAMED = "(unnamed)"
"""What a message says for a statement whose vulnerability has no `name` (only its `@id`)."""


def _statements(*rows: tuple[str, str, str | None]) -> Mut:
    def run(p: Any) -> None:
        doc = p["vexDocument"]
        product = (doc.get("statements") or [{}])[0].get("products") or [{"@id": "pkg:oci/app"}]
        out = []
        for cve, status, just in rows:
            st: dict[str, Any] = {
                "vulnerability": {"name": cve},
                "timestamp": doc["timestamp"],
                "products": product,
                "status": status,
            }
            if just:
                st["justification"] = just
            out.append(st)
        doc["statements"] = out

    return edit(run)


def _id_only(m: Mut) -> Mut:
    """`m`, then every statement's vulnerability named by its `@id` IRI alone: go-vex v0.2.8 writes
    `name` with `omitempty` (pkg/vex/vulnerability.go), so a document that identifies a vulnerability by
    IRI only reaches Rego without `vulnerability.name`."""

    def run(p: Any) -> None:
        for st in p["vexDocument"]["statements"]:
            name = st["vulnerability"].pop("name")
            st["vulnerability"]["@id"] = f"https://nvd.nist.gov/vuln/detail/{name}"

    return chain(m, edit(run))


def vex_status(rng: random.Random) -> Req:
    return Req(
        attestor="vex",
        rid="triaged",
        param="not_affected|fixed",
        rule="every VEX statement must have status `not_affected` or `fixed`",
        ask="block the release while any VEX statement is `affected` or `under_investigation`",
        control="All known vulnerabilities SHALL be triaged as not affected or fixed before release.",
        package="vex.triaged",
        consts=('closed_statuses := {"not_affected", "fixed"}',),
        rules=(
            Rule(
                ("st := input.vexDocument.statements[_]", "not closed_statuses[st.status]"),
                f'sprintf("%v is %v", [{got("st.vulnerability.name", _UNNAMED)}, {got("st.status")}])',
            ),
        ),
        fields="The vex predicate wraps the OpenVEX document in `input.vexDocument`; each statement has "
        "`vulnerability.name`, `products`, `status` and, for `not_affected`, a `justification`.",
        bases=bases(rng, "vex"),
        good=_statements(
            ("CVE-2024-3094", "not_affected", "vulnerable_code_not_present"),
            ("CVE-2023-44487", "fixed", None),
        ),
        bads=(
            _statements(("CVE-2024-3094", "under_investigation", None)),
            _statements(("CVE-2023-44487", "fixed", None), ("CVE-2024-6387", "affected", None)),
            _id_only(_statements(("CVE-2024-6387", "affected", None))),
        ),
        bad_desc=(
            "a statement under investigation",
            "an `affected` statement",
            "an `affected` statement whose vulnerability has only an `@id`",
        ),
        touches=frozenset({"vexDocument.statements"}),
        paths=(("input.vexDocument.statements[_].status", "the status of each VEX statement"),),
        bugs=(
            Bug(
                "no-wrapper",
                "st := input.vexDocument.statements[_]",
                "st := input.statements[_]",
                "the OpenVEX document sits under `vexDocument` in the vex predicate, so `input.statements` is "
                "undefined and nothing is denied.",
            ),
        ),
    )


def vex_justified(rng: random.Random) -> Req:
    return Req(
        attestor="vex",
        rid="justified",
        param="justification",
        rule="every `not_affected` statement must carry a `justification`",
        ask="reject `not_affected` claims that give no justification",
        control="Each `not_affected` determination SHALL state its justification.",
        package="vex.justified",
        rules=(
            Rule(
                (
                    "st := input.vexDocument.statements[_]",
                    'st.status == "not_affected"',
                    "not st.justification",
                ),
                f'sprintf("%v is not_affected without justification", [{got("st.vulnerability.name", _UNNAMED)}])',
            ),
        ),
        fields="Statements are `input.vexDocument.statements[_]`; `justification` is omitted when absent.",
        bases=bases(rng, "vex"),
        good=_statements(("CVE-2024-3094", "not_affected", "component_not_present")),
        bads=(
            _statements(("CVE-2024-3094", "not_affected", None)),
            _id_only(_statements(("CVE-2024-3094", "not_affected", None))),
        ),
        bad_desc=(
            "a `not_affected` statement without justification",
            "an unjustified `not_affected` statement whose vulnerability has only an `@id`",
        ),
        touches=frozenset({"vexDocument.statements"}),
        paths=(("input.vexDocument.statements[_].justification", "the justification of a statement"),),
    )


def vex_author(rng: random.Random) -> Req:
    org = pick(rng, ("acme", "globex", "initech"))
    want = f"security@{org}.com"
    return Req(
        attestor="vex",
        rid="author",
        param=want,
        rule=f"the VEX document's author must be `{want}`",
        ask=f"only trust VEX documents authored by `{want}`",
        control=f"VEX statements SHALL be issued by the security team (`{want}`).",
        package="vex.author",
        rules=(
            Rule(
                (f"not input.vexDocument.author == {q(want)}",),
                f'sprintf("VEX authored by %v", [{got("input.vexDocument.author")}])',
            ),
        ),
        fields="`input.vexDocument` is the OpenVEX document (`@context`, `@id`, `author`, `timestamp`, "
        "`tooling`, `statements`).",
        bases=bases(rng, "vex"),
        good=setp("vexDocument", "author", value=want),
        bads=(setp("vexDocument", "author", value="dev@example.com"),),
        bad_desc=("a document authored by `dev@example.com`",),
        touches=frozenset({"vexDocument.author"}),
        paths=(("input.vexDocument.author", "the VEX document's author"),),
    )


# ---------------------------------------------------------------------------------------------- slsa


BUILDERS = {
    "github": "https://witness.dev/witness-github-action-builder@v0.1",
    "gitlab": "https://witness.dev/witness-gitlab-component-builder@v0.1",
    "default": "https://witness.dev/witness-default-builder@v0.1",
}


def slsa_builder(rng: random.Random) -> Req:
    ci = pick(rng, ("github", "gitlab"))
    want = BUILDERS[ci]
    return Req(
        attestor="slsa",
        rid="builder",
        param=want,
        rule=f"the provenance's builder id must be `{want}`",
        ask=f"only accept provenance whose builder is `{want}`",
        control=f"Provenance SHALL identify the approved builder `{want}`.",
        package="slsa.builder",
        rules=(
            Rule(
                (f"not input.run_details.builder.id == {q(want)}",),
                f'sprintf("builder %v", [{got("input.run_details.builder.id")}])',
            ),
        ),
        fields="The slsa predicate is the SLSA v1 provenance struct marshalled with snake_case keys: "
        "`build_definition` and `run_details` (with `builder.id`, `metadata`).",
        bases=bases(rng, "slsa", ci=ci),
        good=setp("run_details", "builder", "id", value=want),
        bads=(setp("run_details", "builder", "id", value=BUILDERS["default"]),),
        bad_desc=("provenance from the default builder",),
        touches=frozenset({"run_details.builder"}),
        paths=(("input.run_details.builder.id", "the SLSA builder id"),),
        bugs=(
            Bug(
                "camel-case",
                "not input.run_details.builder.id",
                "not input.runDetails.builder.id",
                "witness marshals the protobuf provenance with snake_case keys (`run_details`), not the "
                "camelCase of the SLSA JSON spec, so `runDetails` is undefined and everything is denied.",
            ),
        ),
    )


def slsa_source(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "slsa", ci="github")
    repo, commit = scen[0].repo_url, scen[0].commit

    def dep(name: str, sha: str) -> Mut:
        def run(p: Any) -> None:
            deps = [
                d
                for d in p["build_definition"].get("resolved_dependencies") or []
                if not d["name"].startswith("https://")
            ]
            p["build_definition"]["resolved_dependencies"] = [{"name": name, "digest": {"sha1": sha}}, *deps]

        return edit(run)

    other = "".join(reversed(commit))
    return Req(
        attestor="slsa",
        rid="source",
        param=f"{repo}@{commit[:12]}",
        rule=f"the provenance must list `{repo}` at commit `{commit}` among its resolved dependencies",
        ask=f"check that the provenance was built from `{repo}` at `{commit}`",
        control=f"Provenance SHALL record the source `{repo}` at the released commit `{commit}`.",
        package="slsa.source",
        rules=(Rule(("not source_ok",), q(f"provenance does not resolve {repo} at {commit}")),),
        helpers=(
            (
                "source_ok",
                (
                    "dep := input.build_definition.resolved_dependencies[_]",
                    f"dep.name == {q(repo)}",
                    f"dep.digest.sha1 == {q(commit)}",
                ),
            ),
        ),
        fields="`input.build_definition.resolved_dependencies` lists `{name, digest}` descriptors; the git "
        "source is the repository URL with the commit as its `sha1` digest.",
        bases=base,
        good=dep(repo, commit),
        bads=(dep(repo, other), dep(repo.replace(scen[0].org, "evil-fork"), commit)),
        bad_desc=("provenance for another commit", "provenance for a fork"),
        touches=frozenset({"build_definition.resolved_dependencies"}),
        paths=(
            ("input.build_definition.resolved_dependencies", "the resolved dependencies `{name, digest}`"),
        ),
    )


def slsa_duration(rng: random.Random) -> Req:
    limit = pick(rng, (1800, 3600))

    def duration(seconds: int) -> Mut:
        def run(p: Any) -> None:
            md = p["run_details"]["metadata"]
            md["finished_on"] = {"seconds": md["started_on"]["seconds"] + seconds, "nanos": 250000000}

        return edit(run)

    return Req(
        attestor="slsa",
        rid="duration",
        param=str(limit),
        rule=f"the build may take at most {limit // 60} minutes ({limit} seconds)",
        ask=f"flag builds that ran longer than {limit // 60} minutes",
        control=f"Build executions SHALL complete within {limit // 60} minutes.",
        package="slsa.duration",
        rules=(
            Rule(
                (
                    "md := input.run_details.metadata",
                    f"md.finished_on.seconds - md.started_on.seconds > {limit}",
                ),
                'sprintf("build took %d seconds", [md.finished_on.seconds - md.started_on.seconds])',
            ),
        ),
        fields="`input.run_details.metadata.started_on` / `finished_on` are protobuf Timestamps, serialized as "
        '`{"seconds": N, "nanos": N}`, not RFC 3339 strings.',
        bases=bases(rng, "slsa"),
        good=duration(limit // 3),
        bads=(duration(limit + 60),),
        bad_desc=(f"a build that took {(limit + 60) // 60} minutes",),
        touches=frozenset({"run_details.metadata"}),
        paths=(("input.run_details.metadata.started_on.seconds", "build start time (Unix seconds)"),),
    )


def slsa_command(rng: random.Random) -> Req:
    prog = pick(rng, ("make", "go", "npm"))

    def command(text: str) -> Mut:
        return setp(
            "build_definition",
            "external_parameters",
            value={"fields": {"command": {"Kind": {"StringValue": text}}}},
        )

    return Req(
        attestor="slsa",
        rid="command",
        param=prog,
        rule=f"the command recorded in the provenance must start with `{prog} `",
        ask=f"check in the SLSA provenance that the build command was a `{prog}` invocation",
        control=f"Provenance SHALL show the build was run with `{prog}`.",
        package="slsa.command",
        rules=(
            Rule(
                (
                    "cmd := input.build_definition.external_parameters.fields.command.Kind.StringValue",
                    f"not startswith(cmd, {q(prog + ' ')})",
                ),
                'sprintf("build command %v", [cmd])',
            ),
        ),
        fields="`external_parameters` is a protobuf `Struct`, so on the wire the command string is at "
        "`external_parameters.fields.command.Kind.StringValue`, not `external_parameters.command`.",
        bases=bases(rng, "slsa"),
        good=command(f"{prog} build"),
        bads=(command("bash -c ./build.sh"),),
        bad_desc=("a build run via `bash -c ./build.sh`",),
        touches=frozenset({"build_definition.external_parameters"}),
        paths=(
            (
                "input.build_definition.external_parameters.fields.command.Kind.StringValue",
                "the build command",
            ),
        ),
        bugs=(
            Bug(
                "plain-struct",
                "cmd := input.build_definition.external_parameters.fields.command.Kind.StringValue",
                "cmd := input.build_definition.external_parameters.command",
                "protobuf `Struct` values are serialized as `fields.<key>.Kind.StringValue`, so "
                "`external_parameters.command` is undefined and the rule never fires.",
            ),
        ),
    )


# ---------------------------------------------------------------------------------------------- link


LINK_NOTE = (
    "The rule only runs while link stays in the collection (with `--attestor-link-export` the link is written "
    "to its own file and the collection has no link entry), and only for a run that does not also record "
    "`environment`: link copies those variables into a protobuf `Struct` that go-witness writes with plain "
    "encoding/json and cannot read back, so `witness verify` fails to load that collection."
)
"""When Rego on a link predicate is evaluated at all (go-witness attestation/link/link.go; docs/reference-corrections.md)."""


def _link_bases(rng: random.Random, **kw: Any) -> tuple[Any, ...]:
    """Link predicates of runs that did not record `environment` (the only ones `witness verify` can load,
    `LINK_NOTE`): the protobuf `environment` is nil then, and omitted (`omitempty`)."""
    return tuple({k: v for k, v in b.items() if k != "environment"} for b in bases(rng, "link", **kw))


def link_name(rng: random.Random) -> Req:
    step = pick(rng, ("build", "package", "compile"))
    return Req(
        attestor="link",
        rid="name",
        param=step,
        rule=f"the link's `name` must be `{step}`",
        ask=f"make sure the in-toto link was recorded for the `{step}` step",
        control=f"The link SHALL be recorded for the `{step}` step.",
        package="link.name",
        rules=(Rule((f"input.name != {q(step)}",), 'sprintf("link is for step %v", [input.name])'),),
        fields="The link predicate (in-toto Link v0.3) has `name` (the step name), `command`, `materials` "
        "(`[{name, digest}]`), `byproducts` and `environment`.",
        bases=_link_bases(rng),
        good=setp("name", value=step),
        bads=(setp("name", value="test"),),
        bad_desc=("a link for `test`",),
        touches=frozenset({"name"}),
        note=LINK_NOTE,
        paths=(("input.name", "the step name recorded in the link"),),
    )


def link_material(rng: random.Random) -> Req:
    base = _link_bases(rng, language="go")
    mats = base[0]["materials"]
    lock = "go.sum"

    def with_lock(p: Any) -> None:
        if not any(m["name"] == lock for m in p["materials"]):
            p["materials"].append({"name": lock, "digest": {"sha256": sha256_hex(lock)}})

    return (
        Req(
            attestor="link",
            rid="material",
            param=lock,
            rule=f"`{lock}` must be among the link's materials",
            ask=f"require `{lock}` in the link's materials",
            control=f"Builds SHALL consume the committed `{lock}`.",
            package="link.materials",
            rules=(Rule(("not has_lock",), q(f"{lock} is not a material of the link")),),
            helpers=(("has_lock", (f"input.materials[_].name == {q(lock)}",)),),
            fields="`input.materials` is a list of resource descriptors `{name, digest}` (unlike the material "
            "attestor's map keyed by path).",
            bases=base,
            good=edit(with_lock),
            bads=(edit(lambda p: p.update({"materials": [m for m in p["materials"] if m["name"] != lock]})),),
            bad_desc=(f"a link without `{lock}`",),
            touches=frozenset({"materials"}),
            note=LINK_NOTE,
            paths=(("input.materials[_].name", "each link material's path"),),
            bugs=(
                Bug(
                    "map-lookup",
                    f"input.materials[_].name == {q(lock)}",
                    f"input.materials[{q(lock)}]",
                    "`materials` in a link is an array of `{name, digest}`, not a map keyed by path; indexing it "
                    "with a string is undefined, so every link is denied.",
                ),
            ),
        )
        if mats
        else link_name(rng)
    )


def prod_name_pattern(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "product", step_kind="package")
    project, version = scen[0].project, scen[0].version
    pattern = (
        f"^dist/{project}_[0-9]+\\.[0-9]+\\.[0-9]+_(linux|darwin|windows)_(amd64|arm64)\\.(tar\\.gz|zip)$"
    )

    def dist(*names: str) -> Mut:
        def run(p: Any) -> None:
            p.clear()
            for n in names:
                mime = "application/zip" if n.endswith(".zip") else "application/gzip"
                p[n] = _file(n, "text/plain; charset=utf-8" if n.endswith(".txt") else mime)

        return edit(run)

    archive = f"dist/{project}_{version}_linux_amd64.tar.gz"
    good = (archive, f"dist/{project}_{version}_darwin_arm64.tar.gz", "dist/checksums.txt")
    return Req(
        attestor="product",
        rid="name-pattern",
        param=project,
        rule=f"every product must be `dist/checksums.txt` or a release archive named "
        f"`dist/{project}_<X.Y.Z>_<linux|darwin|windows>_<amd64|arm64>.<tar.gz|zip>`",
        ask=f"reject the step if it produced any file other than `dist/checksums.txt` and archives named "
        f"`dist/{project}_<version>_<os>_<arch>.tar.gz` (or `.zip`)",
        control=f"Release outputs SHALL be limited to `dist/checksums.txt` and archives following the "
        f"`{project}_<version>_<os>_<arch>` naming scheme.",
        package="product.names",
        consts=(f"archive_name := `{pattern}`",),
        rules=(Rule(("input[path]", "not expected_name(path)"), 'sprintf("unexpected product %v", [path])'),),
        helpers=(
            ("expected_name(path)", ('path == "dist/checksums.txt"',)),
            ("expected_name(path)", ("regex.match(archive_name, path)",)),
        ),
        fields="The product predicate is a bare map keyed by path (relative to the working directory), so "
        "`input[path]` iterates over every product; two `expected_name` bodies make an OR.",
        bases=base,
        good=dist(*good),
        extra_pass=(dist(f"dist/{project}_{version}_windows_amd64.zip", "dist/checksums.txt"),),
        bads=(
            dist(*good, "dist/debug.log"),
            dist(archive, f"dist/{project}_latest_linux_amd64.tar.gz"),
            dist(archive, f"dist/{project}_{version}_linux_amd64.tar.gz.bak"),
            dist(archive, f"build/{project}_{version}_linux_amd64.tar.gz"),
        ),
        bad_desc=(
            "a stray `dist/debug.log`",
            "an archive versioned `latest`",
            "a `.tar.gz.bak` leftover",
            "an archive outside `dist/`",
        ),
        touches=frozenset({"<keys>"}),
        paths=(("input[path]", "iterates over product paths (bare map)"),),
        bugs=(
            Bug(
                "unanchored",
                f"archive_name := `{pattern}`",
                f"archive_name := `{pattern.rstrip('$')}`",
                "without `$` a name such as `....tar.gz.bak` still matches; anchor the end of the pattern.",
            ),
        ),
        story=(
            f"Our packaging step should only ever emit `dist/checksums.txt` plus archives named like "
            f"`dist/{project}_{version}_linux_amd64.tar.gz` (any X.Y.Z version, linux/darwin/windows, "
            "amd64/arm64, `.tar.gz` or `.zip`). Last release also published a `.bak` file and a debug log. "
            "Anything else the step produced should make verification fail.",
        ),
    )


def prod_required_set(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "product", step_kind="package")
    project, version = scen[0].project, scen[0].version
    extra = pick(rng, (f"dist/{project}.spdx.json", f"dist/{project}.cdx.json", "dist/SHA256SUMS.sig"))
    required = sorted({f"dist/{project}-{version}.tar.gz", "dist/SHA256SUMS", extra})
    missing = pick(rng, required)

    def present(p: Any) -> None:
        for r in required:
            p[r] = _file(r, "application/gzip" if r.endswith(".tar.gz") else "text/plain; charset=utf-8")

    return Req(
        attestor="product",
        rid="required-set",
        param="|".join(required),
        rule=f"the step's products must include all of {md_list(required, 'and')}",
        ask=f"make verification fail unless the step produced {md_list(required, 'and')}",
        control=f"Each release SHALL include {', '.join(required)}.",
        package="product.required_set",
        consts=(f"required_products := {rarr(required)}",),
        rules=(Rule(("f := required_products[_]", "not input[f]"), 'sprintf("%v was not produced", [f])'),),
        fields="The product predicate is a bare map keyed by path, so each required file is looked up as "
        "`input[f]` (no `Products` wrapper).",
        bases=base,
        good=edit(present),
        bads=(delp(missing), edit(lambda p: p.clear())),
        bad_desc=(f"a run without `{missing}`", "a run with no products"),
        touches=frozenset({"<keys>"}),
        paths=(('input["<path>"]', "a product's `{mime_type, digest}` (bare map keyed by path)"),),
        story=(
            f"A release went out without `{missing}` because the step silently skipped it. The release step "
            f"must produce {md_list(required, 'and')}; if any of them is missing, the release must not verify.",
        ),
    )


def k8s_tag_or_digest(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "k8smanifest", step_kind="deploy")
    repo = scen[0].image.rsplit(":", 1)[0].split("@")[0]
    name = repo.rsplit("/", 1)[-1]
    registry = f"harbor.{pick(rng, ('vandelay', 'soylent', 'cyberdyne', 'oscorp', 'nakatomi'))}.net:8443"
    port_repo = f"{registry}/{name}"
    return Req(
        attestor="k8smanifest",
        rid="tag-or-digest",
        param="tag|digest",
        rule="every image in the recorded manifests must carry a digest (`@sha256:`) or an explicit tag other "
        "than `latest` (a registry port is not a tag)",
        ask="reject deployments whose images are untagged or use `:latest` (a digest or a real version tag is fine)",
        control="Deployed workloads SHALL reference images by digest or by an immutable version tag, never "
        "`latest` or no tag.",
        package="k8s.image_refs",
        rules=(
            Rule(
                (
                    ("doc := input.recordeddocs[_]", "some doc in input.recordeddocs"),
                    ("img := doc.recordedimages[_]", "some img in doc.recordedimages"),
                    "not versioned(img.reference)",
                ),
                f'sprintf("%v %v uses %v without a version tag or digest", [doc.kind, doc.name, {got("img.reference")}])',
            ),
        ),
        helpers=(
            ("versioned(ref)", ('contains(ref, "@sha256:")',)),
            (
                "versioned(ref)",
                (
                    'not contains(ref, "@")',
                    'segments := split(ref, "/")',
                    "last := segments[count(segments) - 1]",
                    'parts := split(last, ":")',
                    "count(parts) == 2",
                    'parts[1] != "latest"',
                ),
            ),
        ),
        fields="`input.recordeddocs[_].recordedimages[_].reference` is each image reference found in a "
        "recorded manifest; the tag is looked for only in the last `/` segment, because a `:` earlier belongs "
        "to a registry port.",
        bases=base,
        good=_images(f"{repo}:{scen[0].version}"),
        extra_pass=(
            _images(f"{repo}@sha256:{scen[0].image_digest}"),
            _images(
                f"{port_repo}:{scen[0].version}", f"{repo}:{scen[0].version}@sha256:{scen[0].image_digest}"
            ),
        ),
        bads=(
            _images(f"{repo}:latest"),
            _images(repo),
            _images(f"{repo}:{scen[0].version}", port_repo),
        ),
        bad_desc=("an image tagged `latest`", "an untagged image", f"an untagged `{port_repo}` sidecar"),
        touches=frozenset({"recordeddocs.images"}),
        paths=(
            ("input.recordeddocs[_].recordedimages[_].reference", "each image reference in the manifests"),
        ),
        bugs=(
            Bug(
                "port-colon",
                "last := segments[count(segments) - 1]",
                "last := ref",
                f"splitting the whole reference at `:` treats the registry port of `{port_repo}` as a tag; "
                "only the last `/` segment can hold the tag.",
            ),
        ),
        story=(
            f"Our deploy step applies manifests under witness. I want every workload image in them pinned to "
            f"something meaningful: `{repo}:{scen[0].version}` or a digest is fine, `{repo}` with no tag or "
            f"`:latest` is not. Careful, our internal registry `{registry}` has a port, so "
            "a colon alone doesn't mean there's a tag.",
        ),
    )


MAKERS: dict[str, tuple[Maker, ...]] = {
    "product": (
        prod_has,
        prod_no_suffix,
        prod_mime,
        prod_under_dir,
        prod_checksums,
        prod_name_pattern,
        prod_required_set,
    ),
    "oci": (oci_no_latest, oci_tag, oci_max_layers, oci_registry),
    "docker": (docker_latest, docker_registry, docker_base_images),
    "k8smanifest": (k8s_pinned, k8s_namespace, k8s_kinds, k8s_replicas, k8s_dry_run, k8s_tag_or_digest),
    "sbom": (spdx_name, spdx_creator, spdx_no_gpl, spdx_version, cdx_name, cdx_version, cdx_banned_purl),
    "sarif": (sarif_no_errors, sarif_tool, sarif_max_warnings),
    "secretscan": (ss_clean, ss_testdata, ss_entropy),
    "vex": (vex_status, vex_justified, vex_author),
    "slsa": (slsa_builder, slsa_source, slsa_duration, slsa_command),
    "link": (link_name, link_material),
}
"""Requirement makers per attestor."""
