"""DKIM: every outgoing message signed (dkimpy) when DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY are set.

The transport signs the final bytes, just before they go out, so no header changes after signing.
Signing goes through dkimpy's public `dkim.sign` only. Its RSA is pure Python (a few milliseconds per
message with a 2048-bit key): at volumes where that matters, leave DKIM_* unset and let the MTA sign
(OpenDKIM or Rspamd, docs/operator-guide.md, "Outbound", DKIM).
`flask mail dkim-keygen` writes a key and prints the TXT record to publish at
`<selector>._domainkey.<domain>`.
"""
from __future__ import annotations

import base64
import functools
import os

import dkim
from flask import current_app

SIGNED_HEADERS = (b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"reply-to", b"mime-version",
                  b"content-type", b"list-unsubscribe", b"list-unsubscribe-post", b"auto-submitted")


@functools.lru_cache(maxsize=4)
def _load_key(value: str) -> bytes:
    if "-----BEGIN" in value:
        return value.replace("\\n", "\n").encode("ascii")
    with open(value, "rb") as handle:
        return handle.read()


def signer():
    """A function bytes → signed bytes for the configured key, or None when DKIM is not configured."""
    config = current_app.config
    domain, selector, key = config.get("DKIM_DOMAIN"), config.get("DKIM_SELECTOR"), config.get("DKIM_PRIVATE_KEY")
    if not (domain and selector and key):
        return None
    private_key = _load_key(key)
    domain_b, selector_b = domain.encode("ascii"), selector.encode("ascii")

    def sign(message: bytes) -> bytes:
        header = dkim.sign(message, selector_b, domain_b, private_key, include_headers=list(SIGNED_HEADERS),
                           canonicalize=(b"relaxed", b"relaxed"))
        return header + message

    return sign


def generate_key(path: str, bits: int = 2048) -> str:
    """Write a new RSA private key (PEM, mode 0600) to `path`; returns the DNS TXT record's value."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return txt_record(pem)


def txt_record(private_pem: bytes) -> str:
    """`v=DKIM1; k=rsa; p=<base64 of the public key>` for a private key in PEM."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem, password=None)
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode('ascii')}"
