"""What a journal system sends, for the CDS Hooks tests: a Swedish FHIR Patient, a signed JWT as
the CDS Hooks sandbox makes it (src/retrieve-data-helpers/jwt-generator.js), and a small local
FHIR server that serves Patient/{id}."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from bench.httpbench import free_port
from engine.models import looks_like_personnummer

PERSONNUMMER_SYSTEM = "http://electronichealth.se/identifier/personnummer"  # HL7 Sweden base profiles


def personnummer(born: dt.date, serial: str = "238") -> str:
    """A 12-digit personnummer for the date with a valid Luhn check digit."""
    digits = born.strftime("%y%m%d") + serial
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    check = (10 - total % 10) % 10
    pnr = born.strftime("%Y%m%d") + serial + str(check)
    assert looks_like_personnummer(pnr)
    return pnr


def swedish_patient(born: dt.date, city: str = "NORA", patient_id: str = "4711234567", **extra) -> dict[str, Any]:
    """A Patient as a Swedish EHR holds it: personnummer, name, telecom, folkbokföringsadress."""
    pnr = personnummer(born)
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "meta": {"profile": ["http://hl7.se/fhir/ig/base/StructureDefinition/SEBasePatient"]},
        "identifier": [{"system": PERSONNUMMER_SYSTEM, "value": pnr}],
        "name": [{"use": "official", "family": "Lindqvist", "given": ["Alva"], "text": "Alva Lindqvist"}],
        "telecom": [{"system": "phone", "value": "0587-123 45", "use": "home"}],
        "gender": "female",
        "birthDate": born.isoformat(),
        "address": [{
            "extension": [{"url": "http://hl7.se/fhir/ig/base/StructureDefinition/SEBaseAddressPersonExtension",
                           "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct",
                                                                "code": "63381000052101",
                                                                "display": "folkbokföringsadress"}]}}],
            "use": "home", "line": ["Prästgatan 7"], "city": city, "postalCode": "71331",
        }],
        "contact": [{"relationship": [{"text": "mor"}], "name": {"text": "Sara Lindqvist"},
                     "telecom": [{"system": "phone", "value": "070-123 45 67"}]}],
        **extra,
    }


def hook_request(context: dict, **extra) -> dict[str, Any]:
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": context, **extra}


def months_between(born: dt.date, on: dt.date) -> int:
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if on.day < born.day else months


def born_months_ago(months: int, today: dt.date, day: int = 1) -> dt.date:
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(y, m + 1, day)


# --------------------------------------------------------------------------- JWT
class Signer:
    """A CDS client's key pair and its JWKS, signing as the sandbox does."""

    def __init__(self, iss: str = "https://journal.example.se", kid: str | None = None, alg: str = "ES384",
                 jku: str | None = None):
        self.iss, self.alg, self.kid, self.jku = iss, alg, kid or str(uuid.uuid4()), jku
        if alg.startswith("ES"):
            self.private = ec.generate_private_key(ec.SECP384R1())
            public = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        self.jwk = {**public, "kid": self.kid, "use": "sig", "alg": alg}

    @property
    def jwks(self) -> dict:
        return {"keys": [self.jwk]}

    def token(self, aud: str, *, exp_in: int = 300, jti: str | None = None, iss: str | None = None,
              headers: dict | None = None, drop: tuple[str, ...] = ()) -> str:
        now = int(time.time())
        claims = {"iss": iss or self.iss, "aud": aud, "exp": now + exp_in, "iat": now, "jti": jti or str(uuid.uuid4())}
        for key in drop:
            claims.pop(key, None)
        own = {"typ": "JWT", "kid": self.kid, **({"jku": self.jku} if self.jku else {})}
        return jwt.encode(claims, self.private, algorithm=self.alg, headers={**own, **(headers or {})})


def issuers_file(path, *entries: dict) -> str:
    path.write_text(json.dumps({"issuers": list(entries)}), encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- a FHIR server
class FhirServer:
    """Serves `resources` ({"Patient/4711": {...}}) on 127.0.0.1 and records each request's path
    and Authorization header; `delay` makes it slow, `status` overrides the answer."""

    def __init__(self, resources: dict[str, Any] | None = None):
        self.resources = resources or {}
        self.requests: list[tuple[str, str | None]] = []
        self.delay = 0.0
        self.status: int | None = None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/fhir"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests.append((self.path, self.headers.get("Authorization")))
                if server.delay:
                    time.sleep(server.delay)
                key = self.path.removeprefix("/fhir/")
                resource = server.resources.get(key)
                status = server.status or (200 if resource is not None else 404)
                body = json.dumps(resource if status == 200 else
                                  {"resourceType": "OperationOutcome",
                                   "issue": [{"severity": "error", "code": "not-found"}]}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/fhir+json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the service gave up waiting (the timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
