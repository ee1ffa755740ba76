"""Certificates for the real TLS servers the connection tests talk to: a throwaway CA, a
server certificate for 127.0.0.1/localhost signed by it, and one for another name (the
"certificate names another host" case). Files are written to a temporary folder."""
import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Certificates:
    ca_file: Path          # the CA that signed both server certificates
    cert_file: Path        # valid for 127.0.0.1 and localhost
    key_file: Path
    wrong_cert_file: Path  # valid only for wrong.example
    wrong_key_file: Path

    def server_context(self, wrong_host=False):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if wrong_host:
            context.load_cert_chain(self.wrong_cert_file, self.wrong_key_file)
        else:
            context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self):
        return ssl.create_default_context(cafile=str(self.ca_file))


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def make_certificates(folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Schnittstellen test CA"))
          .issuer_name(_name("Schnittstellen test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def server(stem, names):
        key = ec.generate_private_key(ec.SECP256R1())
        alt = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n)
               for n in names]
        cert = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        (folder / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(folder / f"{stem}.key", key)
        return folder / f"{stem}.pem", folder / f"{stem}.key"

    cert_file, key_file = server("server", ["127.0.0.1", "localhost"])
    wrong_cert, wrong_key = server("wrong", ["wrong.example"])
    return Certificates(folder / "ca.pem", cert_file, key_file, wrong_cert, wrong_key)
