"""Whether a received message comes from the address in its `From`: the two ways we accept.

1. A trusted receiving server says so: an `Authentication-Results` header (RFC 8601, read with the
   `authres` library) whose authserv-id is one of MAIL_TRUSTED_AUTHSERV_IDS, with `dmarc=pass` for the
   From's domain, and no trusted header saying otherwise. Such a server must remove headers bearing its
   authserv-id from the mail it receives (RFC 8601 §5; Postfix with OpenDMARC, Rspamd, Exchange do);
   headers with any other authserv-id are ignored, whatever they say.
2. We check it ourselves: a DKIM signature (dkimpy) that verifies and whose `d=` domain is aligned with
   the From's domain as DMARC requires (relaxed: the same organisational domain, from the Public Suffix
   List). The key is looked up in DNS, or through MAIL_DKIM_DNSFUNC when set (the tests' stub resolver).

Anything else — no header, a header from an untrusted server, `dkim=none`, a signature of another
domain, several From addresses — is not authenticated. Pure functions of the message and the settings.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import authres
import dkim
from flask import current_app
from publicsuffixlist import PublicSuffixList

from . import parsing

logger = logging.getLogger(__name__)

MAX_SIGNATURES = 5  # each one costs a DNS lookup and a hash of the message


@dataclass(frozen=True)
class Verdict:
    """The authenticated From address (None when not authenticated) and how it was decided."""

    sender: str | None
    reason: str


@functools.cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list the package ships: no download


def aligned(signing_domain: str, from_domain: str) -> bool:
    """DMARC relaxed alignment: both domains share one organisational domain (never a public suffix)."""
    signing_domain, from_domain = signing_domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if signing_domain == from_domain:
        return True
    organisational = _suffixes().privatesuffix(from_domain)
    return organisational is not None and organisational == _suffixes().privatesuffix(signing_domain)


def _trusted_ids() -> set[str]:
    value = current_app.config.get("MAIL_TRUSTED_AUTHSERV_IDS") or ()
    names = value.split(",") if isinstance(value, str) else value
    return {name.strip().lower() for name in names if name.strip()}


def _server_says(message, from_domain: str) -> str | None:
    """'pass' or 'fail' from the trusted servers' DMARC results for `from_domain`, None when they say nothing."""
    trusted = _trusted_ids()
    if not trusted:
        return None
    verdicts = set()
    for value in message.get_all("Authentication-Results") or []:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(" ".join(str(value).split()))
        except Exception:  # authres raises its own syntax errors (and others on odd input): not a verdict
            continue
        if str(header.authserv_id or "").lower() not in trusted:
            continue
        for result in header.results:
            if str(result.method).lower() != "dmarc":
                continue
            header_from = next((str(p.value).lower() for p in result.properties
                                if str(p.type).lower() == "header" and str(p.name).lower() == "from"), from_domain)
            if header_from != from_domain:
                continue
            verdicts.add("pass" if str(result.result).lower() == "pass" else "fail")
    if "fail" in verdicts:
        return "fail"
    return "pass" if verdicts else None


def _dkim_signers(raw: bytes, count: int) -> list[str]:
    """The `d=` domains of the (first `count`) DKIM signatures of `raw` that verify."""
    dnsfunc = current_app.config.get("MAIL_DKIM_DNSFUNC")
    found = []
    for index in range(min(count, MAX_SIGNATURES)):
        checker = dkim.DKIM(raw, logger=logger)
        try:
            ok = checker.verify(idx=index, dnsfunc=dnsfunc) if dnsfunc else checker.verify(idx=index)
        except Exception as error:  # dkimpy's errors, DNS failures: that signature does not count
            logger.info("DKIM signature %s not verified: %s", index, error)
            continue
        if ok and checker.domain:
            found.append(checker.domain.decode("ascii", "replace").lower())
    return found


def verify_sender(message, raw: bytes) -> Verdict:
    """Who sent `message` (its parsed form and its bytes as received), if that is established."""
    senders = parsing.addresses(message, "From")
    if len(senders) != 1:
        return Verdict(None, f"{len(senders)} From addresses")
    sender = senders[0]
    domain = sender.rpartition("@")[2]
    server = _server_says(message, domain)
    if server == "fail":
        return Verdict(None, "the receiving server says DMARC failed")
    if server == "pass":
        return Verdict(sender, "DMARC passed at the receiving server")
    count = len(message.get_all("DKIM-Signature") or [])
    signers = _dkim_signers(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), count) if count else []
    for signer in signers:
        if aligned(signer, domain):
            return Verdict(sender, f"DKIM signature of {signer} verified")
    if signers:
        return Verdict(None, f"DKIM signature of {', '.join(signers)}, not aligned with {domain}")
    return Verdict(None, "no verified DKIM signature and no trusted DMARC result")
