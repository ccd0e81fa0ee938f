# schemathesis hooks for the 1Kosmos document (SCHEMATHESIS_HOOKS=<this file>): generated
# ciphertexts never decrypt, so every other call to an encrypted operation is sealed for real
# before it is sent. The sealing is done by the test (openapi-kosmos.test.mjs), which holds the
# caller's key pair and the license key, at KOSMOS_SEALER_URL: it answers fresh `publickey`,
# `licensekey` and `requestid` headers and, for a body, the generated `data` text sealed inside
# a JSON payload of the operation. The other calls go out as generated, so the envelope's own
# error paths stay fuzzed too.
import itertools
import os
from collections.abc import MutableMapping

import requests
import schemathesis

SEALER_URL = os.environ["KOSMOS_SEALER_URL"]
ENVELOPE_HEADERS = ("publickey", "licensekey", "requestid")
calls = itertools.count()


@schemathesis.hook
def before_call(context, case, **kwargs):
    # schemathesis keeps headers in a case-insensitive mapping, not a dict.
    headers = case.headers if isinstance(case.headers, MutableMapping) else None
    if headers is None or not any(name.lower() == "publickey" for name in headers):
        return
    if next(calls) % 2:
        return
    body = case.body if isinstance(case.body, dict) else None
    text = body.get("data") if body is not None else None
    sealed = requests.post(
        SEALER_URL,
        json={"path": case.operation.path, "data": text if isinstance(text, str) else None},
        timeout=10,
    ).json()
    for name in list(headers):
        if name.lower() in ENVELOPE_HEADERS:
            del headers[name]
    for name in ENVELOPE_HEADERS:
        headers[name] = sealed[name]
    if body is not None and "data" in sealed:
        body["data"] = sealed["data"]
