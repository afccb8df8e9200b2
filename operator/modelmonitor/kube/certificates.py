"""Self-signed TLS certificates for the admission webhook server, built with ``cryptography``.

Kopf's own generator needs ``oscrypto``, which cannot find libcrypto under OpenSSL 3 on current
distributions; production clusters should mount a cert-manager certificate instead, and this
is the fallback (and what the tests use).
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Collection

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

UNROUTABLE = {"0.0.0.0", "::"}


def self_signed_certificate(
    hostnames: Collection[str], *, password: str | None = None, days: int = 365
) -> tuple[bytes, bytes]:
    """A PEM certificate (its own CA) for ``hostnames`` (DNS names or IPs) and its PEM private key."""
    names: list[x509.GeneralName] = []
    common_name = None
    for host in hostnames:
        if not host or host in UNROUTABLE:
            continue
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
            common_name = common_name or host
    if not names:
        names.append(x509.DNSName("localhost"))
    common_name = common_name or next(str(n.value) for n in names)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem
