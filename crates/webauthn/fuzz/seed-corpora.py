#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from the real vectors under ../tests/vectors.

    python3 seed-corpora.py [DIR]    # fills DIR/<target>/ (default corpus/, ignored by git)

scripts/fuzz writes them to target/seeds/ and reads them from there.

Inputs that start with a vector selector get the two-byte big-endian index of their vector in
the order src/lib.rs loads them: vector files sorted by their path under tests/vectors, numbered
separately for registrations and assertions. The client_data target reads an even selector as a
registration and an odd one as an assertion, so its seeds use 2*i and 2*i+1.
"""

import base64
import json
import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
VECTORS = HERE.parent / "tests" / "vectors"
CORPUS = pathlib.Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE / "corpus"


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def write(target, name, data):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def auth_data_of(attestation_object):
    """The authData byte string of an attestation object, found by its key (no CBOR library)."""
    at = attestation_object.find(b"\x68authData")
    if at < 0:
        return None
    head = attestation_object[at + 9 :]
    if head[:1] == b"\x58":
        length, start = head[1], 2
    elif head[:1] == b"\x59":
        length, start = struct.unpack(">H", head[1:3])[0], 3
    else:
        return None
    return head[start : start + length]


def credential_key_of(auth_data):
    """The COSE key of attested credential data, when no extensions follow it."""
    if len(auth_data) < 55 or auth_data[32] & 0xC0 != 0x40:
        return None
    id_len = struct.unpack(">H", auth_data[53:55])[0]
    return auth_data[55 + id_len :]


def main():
    paths = sorted(
        str(p.relative_to(VECTORS)).replace("\\", "/") for p in VECTORS.glob("*/*.json")
    )
    registrations = assertions = 0
    for relative in paths:
        vector = json.loads((VECTORS / relative).read_text())
        name = relative.replace("/", "_").removesuffix(".json")
        fields = vector["response"]["response"]
        client_data = b64url(fields["clientDataJSON"])
        if vector["ceremony"] == "registration":
            selector = struct.pack(">H", registrations)
            attestation_object = b64url(fields["attestationObject"])
            write("attestation_object", name, selector + attestation_object)
            auth_data = auth_data_of(attestation_object)
            if auth_data:
                # Selector 0: parsed, then refused by the first assertion's RP ID hash check.
                write("authenticator_data", name, b"\0\0" + auth_data)
                key = credential_key_of(auth_data)
                if key:
                    write("cose_key", name, key)
            write("client_data", name, struct.pack(">H", 2 * registrations) + client_data)
            registrations += 1
        else:
            selector = struct.pack(">H", assertions)
            write("authenticator_data", name, selector + b64url(fields["authenticatorData"]))
            write("client_data", name, struct.pack(">H", 2 * assertions + 1) + client_data)
            if vector.get("public_key"):
                write("cose_key", name, b64url(vector["public_key"]))
            assertions += 1
    # The example BLOB of the MDS3 specification (16 KB) and its payload. The real FIDO BLOB in
    # fido2-lib/ is 1 MB; as a seed it would slow every iteration down.
    blob = (VECTORS / "go-webauthn" / "mds3-blob.jwt").read_text().strip()
    write("mds_blob", "mds3-example-blob", blob.encode())
    write("mds_blob", "mds3-example-payload", b64url(blob.split(".")[1]))
    print(f"{registrations} registrations, {assertions} assertions -> {CORPUS}")


if __name__ == "__main__":
    main()
