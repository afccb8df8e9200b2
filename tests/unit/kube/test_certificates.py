"""The webhook server's fallback self-signed certificate.

We test these aspects:
- DNS names and IPs become SANs (unroutable 0.0.0.0 is skipped), the first DNS name is the common name;
- it is its own CA, so it can be the caBundle; the key matches and can be encrypted.
"""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from modelmonitor.kube.certificates import self_signed_certificate


def test_sans_and_common_name() -> None:
    cert_pem, key_pem = self_signed_certificate(["0.0.0.0", "127.0.0.1", "op.mm-system.svc"])
    cert = x509.load_pem_x509_certificate(cert_pem)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["op.mm-system.svc"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "op.mm-system.svc"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert cert.issuer == cert.subject
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]


def test_encrypted_key_and_fallback_name() -> None:
    cert_pem, key_pem = self_signed_certificate(["0.0.0.0"], password="secret")
    assert b"ENCRYPTED" in key_pem
    serialization.load_pem_private_key(key_pem, password=b"secret")
    cert = x509.load_pem_x509_certificate(cert_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "localhost"
