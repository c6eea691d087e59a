"""Self-signed certificates for the tests' stand-ins (an SMTP server over TLS, Google's keys)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID


def self_signed_pem(
    key: Any, common_name: str, *, valid: timedelta, ip: str | None = None
) -> bytes:
    """A certificate of ``key`` signed by itself, valid ``valid`` either side of now, as PEM;
    with ``ip``, for that address (a CA of itself, so a client can trust it as its CA file)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - valid)
        .not_valid_after(now + valid)
    )
    if ip is not None:
        address = x509.SubjectAlternativeName([x509.IPAddress(ip_address(ip))])
        builder = builder.add_extension(address, critical=False).add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
