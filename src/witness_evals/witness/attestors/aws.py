"""aws (aws-iid): EC2 instance identity document (go-witness attestation/aws-iid).

IMDS returns `null` for the product-code lists of most instances, which go-witness re-marshals as
`null`; the published schema types them as arrays, so we emit arrays (empty or with codes).

`publickey` is the PKIX PEM of the RSA key in the region's certificate built into go-witness
(aws-iid.go:186-207 `Verify`, 248-277 `getAWSCAPublicKey`, aws-certs.go:19-26): every certificate there
holds a 1024-bit RSA key, so the PKCS#1 v1.5 `rawsig` is 128 bytes (aws-iid.go:209). A region with
no certificate there fails the attestation (aws-certs.go:22), so `build` refuses it.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products, sha256_of
from witness_evals.witness.attestors.gotypes import STR, STRS, TIME, F, S
from witness_evals.witness.attestors.scenario import Scenario, hex_id

TYPE = "https://witness.dev/attestations/aws/v0.1"

_KEYS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ap-south-1",
            "ap-northeast-3",
            "ap-northeast-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-northeast-1",
            "ca-central-1",
            "eu-central-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-north-1",
            "sa-east-1",
        ),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCHvRjf/0kStpJ248khtIaN8qkDN3tkw4VjvA9nvPl2anJO+eIBUqPfQG09kZlw"
        "pWpmyO8bGB2RWqWxCwuB/dcnIob6w420k9WY5C0IIGtDRNauN3kuvGXkw3HEnF0EjYr0pcyWUvByWY4KswZV42X7Y7XSS13hOIcL"
        "6NLA+H94/QIDAQAB",
    ),
    (
        ("af-south-1",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDFd571nUzVtke3rPyRkYfvs3jh0C0EMzzG72boyUNjnfw1+m0TeFraTLKb9T6F"
        "7TuB/ZEN+vmlYqr2+5Va8U8qLbPF0bRH+FdaKjhgWZdYXxGzQzU3ioy5W5ZM1VyB7iUsxEAlxsybC3ziPYaHI42UiTkQNahmoroN"
        "eqVyHNnBpQIDAQAB",
    ),
    (
        ("ap-east-1",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1kkHXYTfc7gY5Q55JJhjTieHAgacaQkiRPity9QPDE3b+NXDh4UdP1xdIw73J"
        "cIIG3sG9RhWiXVCHh6KkuCTqJfPUknIKk8vsM3RXflUpBe8Pf+P92pxqPMCz1Fr2NehS3JhhpkCZVGxxwLC5gaG0Lr4rFORubjYY"
        "Rh84dK98VwIDAQAB",
    ),
    (
        ("ap-south-2",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDTwHu0ND+sFcobrjvcAYm0PNRD8f4R1jAzvoLt2+qGeOTAyO1Httj6cmsYN3AP"
        "1hN5iYuppFiYsl2eNPa/CD0Vg0BAfDFlV5rzjpA0j7TJabVh4kj7JvtD+xYMi6wEQA4x6SPONY4OeZ2+8o/HS8nucpWDVdPRO6ci"
        "WUlMhjmDmwIDAQAB",
    ),
    (
        ("ap-southeast-3",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCnCS/Vbt0gQ1ebWcur2hSO7PnJifE4OPxQ7RgSAlc4/spJp1sDP+ZrS0LO1ZJf"
        "KhXf1R9S3AUwLnsc7b+IuVXdY5LK9RKqu64nyXP5dx170zoL8loEyCSuRR2fs+04i2QsWBVP+KFNAn7P5L1EHRjkgTO8kjNKviwR"
        "V+OkP9ab5wIDAQAB",
    ),
    (
        ("ap-southeast-5",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDFuKydxZsordNH7bLwIluEGOkX7/CdLdpeqkDKEhQkFwzpRxaX4EAlkGh2/o7D"
        "8qneC9cGQhqSG5WVVBrmZG7sfkFOM4m1AtY++kfv+MYto1VFgLk1xJbkpq1r4YeQUl+ZsJYsZpyX/t+g8s7rW0OVcBsYx4L75bf3"
        "4z38mwK8PQIDAQAB",
    ),
    (
        ("ap-southeast-4",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDHezwQr2VQpQSTW5TXNefiQrP+qWTGAbGsPeMX4hBMjAJUKys2NIRcRZaLM/BC"
        "ew2FIPVjNtlaj6Gwn9ipU4Mlz3zIwAMWi1AvGMSreppt+wV6MRtfOjh0Dvj/veJe88aEZJMozNgkJFRS+WFWsckQeL56tf6kY6QT"
        "lNo8V/0CsQIDAQAB",
    ),
    (
        ("ap-southeast-6",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC9AsBNOUfT8QpguHqMa9KIXP/YgZOmfRAgEmnLawXTC+40bXUq/fwkx+cebv3x"
        "CvUx6d07/iDlD0dm2Hf2HhPFi3OaCI7vc8c3lqVBvcn6yzmwv35aSEvtVm2NHC3j4/q6vN2tR2d4a1Mf1QhmOVOJ7XiTEbCy2Yv+"
        "pmDbk29V6QIDAQAB",
    ),
    (
        ("ap-east-2",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDVdclgpcIIsyGG51ag8srK1UMfZ+Ioh9E4PLP+cIWQcdh31fv2kV/whKaqfmif"
        "NefBIuHrTPl6L+mJQbsfeA+TiEx1Jamg4lwQfhgQKQCmjZVMaHtK+AY57TVN6FBfHXxT2MXzktsKxAQRGeSTFQYrHRzSYvu+GkA+"
        "37lqyWRfcwIDAQAB",
    ),
    (
        ("ap-southeast-7",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCajgAeOauwvqGDLrHvxujnZ1BnkMzwjrycMUTkj8jqNtWoDQWUJVNPZJILosEU"
        "VwK2I3oNkEsx/ryl9XfXcNNceoYfVEPzkTzozrZyuOG66FWtUU1LKeJ7h9/rX0Zd9lZEokrdr6dLPt9FsHWaK5ExlUnWBjNltcQL"
        "kkKqoeYaFwIDAQAB",
    ),
    (
        ("ca-west-1",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDK1kIcG5Q6adBXQM75GldfTSiXl7tn54p10TnspI0ErDdb2B6q2Ji/v4XBVH13"
        "ZCMgqlRHMqV8AWI5iO6gFn2A9sN3AZXTMqwtZeiDdebq3k6Wt7ieYvpXTg0qvgsjQIovRZWaBDBJy9x8C2hW+w9lMQjFHkJ7Jy/P"
        "HCJ69EzebQIDAQAB",
    ),
    (
        ("cn-north-1", "cn-northwest-1"),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC6GFQ2WoBl1xZYH85INUMaTc4D30QXM6f+YmWZyJD9fC7Z0UlaZIKoQATqCO58"
        "KNCre+jECELYIX56Uq0lb8LRLP8tijrQ9Sp3qJcXiH66kH0eQ44a5YdewcFOy+CSAYDUIaB6XhTQJ2r7bd4A2vw3ybbxTOWONKdO"
        "WtgIe3M3iwIDAQAB",
    ),
    (
        ("eu-south-1",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCjiPgW3vsXRj4JoA16WQDyoPc/eh3QBARaApJEc4nPIGoUolpAXcjFhWplo2O+"
        "ivgfCsc4AU9OpYdAPha3spLey/bhHPRi1JZHRNqScKP0hzsCNmKhfnZTIEQCFvspDRp4zr91/WS06/flJFBYJ6JHhp0KwM81XQG5"
        "9lV6kkoW7QIDAQAB",
    ),
    (
        ("eu-south-2",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDB/VvR1+45Aey5zn3vPk6xBm5o9grSDL6D2iAuprQnfVXn8CIbSDbWFhA3fi5i"
        "ppjKkh3sl8VyCvCOUXKdOaNrYBrPRkrdHdBuL2Tc84RO+3m/rxIUZ2IK1fDlC6sWAjddf6sBrV2w2a78H0H8EwuwiSgttURBjwJ7"
        "KPPJCqaqrQIDAQAB",
    ),
    (
        ("eu-central-2",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC2mdGdps5Rz2jzYcGNsgETTGUthJRrVqSnUWJXTlVaIbkGPLKO6Or7AfWKFp2s"
        "gRJ8vLsjoBVR5cESVK7cuK1wItjvJyi/opKZAUusJx2hpgU3pUHhlp9ATh/VeVD582jTd9IY+8t5MDa6Z3fGliByEiXz0LEHdi8M"
        "BacLREu1TwIDAQAB",
    ),
    (
        ("il-central-1",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDrc24u3AgFxnoPgzxR6yFXOamcPuxYXhYKWmapb+S8vOy5hpLoRe4RkOrY0cM3"
        "bN07GdEMlin5mU0y1t8y3ct4YewvmkgT42kTyMM+t1K4S0xsqjXxxS716uGYh7eWtkxrCihj8AbXN/6pa095h+7TZyl2n83keiNU"
        "zM2KoqQVMwIDAQAB",
    ),
    (
        ("mx-central-1",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDfvOnCzm1iN58Nm7k6ehoy6v0lnnFI617D6CY3bfuq01RCdEQL96+pYawJieTH"
        "8JAQKj02CAa3AeaqdXTE/pDhI/YKLreeMb4K68WMn24Wjjs6oxjBbAmsKXtt9ihKHGBFNUhgFrNFYyA2i7ieJviwpHjQ/XgXiG2u"
        "1/t/4VydUwIDAQAB",
    ),
    (
        ("me-south-1",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1TQg02RJyHqF9UhGKqupNQVdGZaWOctyp6Dq3ggBOfPU8EuDF+fvBc3egJgAp"
        "roHgT0JOx5um9voP3eLVsnMsS2kJXKvNQwdRpl3oUZGUYBnkYHtXj1ndU1ANCPD/0AU+0oFHj5v5ADUhVPj+7O7tTTZfr8p8otMF"
        "FK8O/8CGUwIDAQAB",
    ),
    (
        ("me-central-1",),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDcaTgW/KyA6zyruJQrYy00a6wqLA7eeUzk3bMiTkLsTeDQfrkaZMfBAjGaaOym"
        "Ro1C3qzE4rIenmahvUplu9ZmLwL1idWXMRX2RlSvIt+d2SeoKOKQWoc2UOFZMHYxDue7zkyk1CIRaBukTeY13/RIrlc6X61zJ5BB"
        "tZXlHwayjQIDAQAB",
    ),
    (
        ("us-gov-east-1", "us-gov-west-1"),
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCpohwYUVPH9I7Vbkb3WMe/JB0Y/bmfVj3VpcK445YBRO9K80alesjgBc2tAX4K"
        "Yg4Lht4EBKccLHTzaNi51YEGX1aLNrSmxhz1+WtzNLNUsyY3zD9zvwX/3k1+JB2dRA+m+Cpwx4mjzZyAeQtHtegVaAytkmqtxQrS"
        "CexBxvqRqQIDAQAB",
    ),
)
"""(regions, base64 DER SubjectPublicKeyInfo) of each certificate in go-witness v0.12.0
attestation/aws-iid/aws-certs.go:32-638. All are valid from 2024-12-03 to 2028-07-02 at least, so
aws-iid.go:267's validity check passes for every scenario (2025). Witness picks the certificate by the
AWS config region, else the document's (aws-iid.go:186-191); scenarios set both to `s.region`."""
REGION_KEYS: dict[str, str] = {r: der for regions, der in _KEYS for r in regions}
SIG_BYTES = 128
"""An RSA-1024 PKCS#1 v1.5 signature (aws-iid.go:209 rsa.VerifyPKCS1v15)."""


def region_public_key(region: str) -> str:
    """What aws-iid.go:198-207 writes: pem.EncodeToMemory of the PKIX key (64-char lines, final newline)."""
    der = REGION_KEYS.get(region)
    if der is None:  # aws-certs.go:22 getRegionCert: "AWS region %s cert must be provided as input"
        raise ValueError(f"aws-iid: no certificate for AWS region {region!r} in go-witness")
    lines = [der[i : i + 64] for i in range(0, len(der), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


SHAPE = S(
    "aws_iid.Attestor",
    F("devpayProductCodes", STRS),
    F("marketplaceProductCodes", STRS),
    F("availabilityZone", STR),
    F("privateIp", STR),
    F("version", STR),
    F("region", STR),
    F("instanceId", STR),
    F("billingProducts", STRS),
    F("instanceType", STR),
    F("accountId", STR),
    F("pendingTime", TIME),
    F("imageId", STR),
    F("kernelId", STR),
    F("ramdiskId", STR),
    F("architecture", STR),
    F("rawiid", STR),
    F("rawsig", STR),
    F("publickey", STR),
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    pending = s.start_time.replace(microsecond=0) - __import__("datetime").timedelta(
        hours=rng.randint(1, 2000)
    )
    doc: dict[str, Any] = {
        "accountId": str(rng.randint(10**11, 10**12 - 1)),
        "architecture": "x86_64" if s.arch == "amd64" else "arm64",
        "availabilityZone": s.region + rng.choice("abc"),
        "billingProducts": ["bp-6fa54006"] if rng.random() < 0.1 else [],
        "devpayProductCodes": [],
        "marketplaceProductCodes": [f"{hex_id(rng, 25)}"] if rng.random() < 0.1 else [],
        "imageId": f"ami-{hex_id(rng, 17)}",
        "instanceId": f"i-{hex_id(rng, 17)}",
        "instanceType": rng.choice(("c6i.2xlarge", "m5.large", "t3.medium", "c7g.xlarge", "m6a.4xlarge")),
        "kernelId": "",
        "pendingTime": pending.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "privateIp": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "ramdiskId": "",
        "region": s.region,
        "version": "2017-09-30",
    }
    raw = json.dumps(doc, indent=2)
    pub = region_public_key(s.region)
    pred = {
        k: doc[k]
        for k in (
            "devpayProductCodes",
            "marketplaceProductCodes",
            "availabilityZone",
            "privateIp",
            "version",
            "region",
            "instanceId",
            "billingProducts",
            "instanceType",
            "accountId",
            "pendingTime",
            "imageId",
            "kernelId",
            "ramdiskId",
            "architecture",
        )
    }
    pred["rawiid"] = raw
    pred["rawsig"] = base64.b64encode(rng.randbytes(SIG_BYTES)).decode()
    pred["publickey"] = pub
    return pred


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    out: dict[str, DigestSet] = {}
    for prefix, key in (
        ("instanceid", "instanceId"),
        ("accountid", "accountId"),
        ("imageid", "imageId"),
        ("privateip", "privateIp"),
    ):
        out[f"{prefix}:{pred[key]}"] = sha256_of(pred[key])
    return out


SPEC = AttestorSpec(
    name="aws",
    type=TYPE,
    run_type="prematerial",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
)
