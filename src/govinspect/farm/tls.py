"""The farm's certificates: a farm CA and one certificate per https site, made from the seed.

Keys are derived from the seed (``sha256`` of the seed and a label, reduced to a P-256 scalar) and signatures
are deterministic ECDSA (RFC 6979), so the same seed writes byte-identical ``ca.pem`` and ``tls/<site_code>.*``.
Validity dates are fixed, not taken from the wall clock: the CA and the good certificates run from 2020-01-01
to 2049-12-31 (valid for years around now), the expired ones ended on 2021-01-01. A probe judges expiry at its
own time, so "expired" is expired and "valid" is valid whenever the farm is inspected.

The one exception is ``expiring`` (valid, but ending within the check's warning days of the real now): such a
certificate cannot be fixed at build time. Only its key is written; the server makes the certificate when it
starts (:func:`server_context`), ending ``EXPIRING_DAYS`` after that moment.

Variants (``FarmSite.tls``): ``ok`` (signed by the farm CA for the site's address), ``expired``,
``self_signed`` (issued by itself), ``wrong_host`` (a farm CA certificate of another farm address, as when a
site sits on a shared cluster that presents the portal's certificate) and ``expiring``. Inspections trust the
farm CA only when told to (``govinspect inspect --ca-file <farm>/ca.pem``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE = "ca.pem"
TLS_DIR = "tls"
VARIANTS = ("ok", "expired", "self_signed", "wrong_host", "expiring")
INVALID = ("expired", "self_signed", "wrong_host")
EXPIRING_DAYS = 10  # well inside the profile's 30 warning days, well above 0

VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)
VALID_TO = datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)
EXPIRED_TO = datetime(2021, 1, 1, tzinfo=UTC)

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _digest(seed: int, label: str) -> bytes:
    return hashlib.sha256(f"{seed}:tls:{label}".encode()).digest()


def derived_key(seed: int, label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key that depends only on the seed and the label."""
    scalar = int.from_bytes(_digest(seed, f"key:{label}"), "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _serial(seed: int, label: str) -> int:
    return int.from_bytes(_digest(seed, f"serial:{label}")[:19], "big") | 1


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _sign(builder: x509.CertificateBuilder, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)


def ca_certificate(seed: int) -> x509.Certificate:
    key = derived_key(seed, "ca")
    name = _name(f"govinspect farm CA (seed {seed})", "govinspect farm")
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial(seed, "ca"))
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_TO)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return _sign(builder, key)


def site_certificate(
    seed: int,
    site_code: str,
    host: str,
    organisation: str,
    variant: str,
    *,
    other_host: str | None = None,
    now: datetime | None = None,
) -> x509.Certificate:
    """The certificate an https farm site presents. ``other_host``: the address a ``wrong_host`` certificate
    names; ``now``: the moment an ``expiring`` one is made (it ends ``EXPIRING_DAYS`` later)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown TLS variant {variant}")
    key = derived_key(seed, f"site:{site_code}")
    named = host
    if variant == "wrong_host":
        if not other_host or other_host == host:
            raise ValueError("a wrong_host certificate needs another address")
        named = other_host
    start, end = VALID_FROM, VALID_TO
    if variant == "expired":
        end = EXPIRED_TO
    elif variant == "expiring":
        moment = (now or datetime.now(UTC)).replace(microsecond=0)
        start, end = moment - timedelta(days=365 - EXPIRING_DAYS), moment + timedelta(days=EXPIRING_DAYS)
    subject = _name(named, organisation)
    if variant == "self_signed":
        issuer, issuer_key = subject, key
    else:
        issuer, issuer_key = ca_certificate(seed).subject, derived_key(seed, "ca")
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(_serial(seed, f"site:{site_code}:{variant}"))
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(named))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if variant != "self_signed":
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    return _sign(builder, issuer_key)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def site_files(
    seed: int, site_code: str, host: str, organisation: str, variant: str, other_host: str | None
) -> dict[str, bytes]:
    """The files build.py writes for one https site, relative to the farm root: the key always, the
    certificate unless it is ``expiring`` (made by the server when it starts)."""
    files = {f"{TLS_DIR}/{site_code}.key": key_pem(derived_key(seed, f"site:{site_code}"))}
    if variant != "expiring":
        cert = site_certificate(seed, site_code, host, organisation, variant, other_host=other_host)
        files[f"{TLS_DIR}/{site_code}.crt"] = pem(cert)
    return files


def server_context(
    root: Path, seed: int, site_code: str, host: str, organisation: str, variant: str
) -> ssl.SSLContext:
    """The server side of one https site: the written certificate and key, or for ``expiring`` a certificate
    made now from the seed's keys."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    key_path = root / TLS_DIR / f"{site_code}.key"
    if variant != "expiring":
        context.load_cert_chain(root / TLS_DIR / f"{site_code}.crt", key_path)
        return context
    cert = site_certificate(seed, site_code, host, organisation, variant)
    with tempfile.TemporaryDirectory(prefix="govinspect-farm-tls-") as tmp:
        path = Path(tmp) / "expiring.crt"
        path.write_bytes(pem(cert))
        context.load_cert_chain(path, key_path)
    return context
