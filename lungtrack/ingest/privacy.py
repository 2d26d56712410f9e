"""Patient identifiers in outputs: PatientID made path-safe, or a salted-hash pseudonym.

No other identifying header (PatientName, PatientBirthDate, AccessionNumber, institution) is ever
read by ingest, so only the PatientID needs care.
"""

import hashlib
import hmac
import re

SAFE = re.compile(r"[^A-Za-z0-9._-]")


def path_safe(text: str) -> str:
    """``text`` with every character outside [A-Za-z0-9._-] replaced by '_' (never empty)."""
    return SAFE.sub("_", text.strip()) or "_"


def pseudonym(patient_id: str, salt: str) -> str:
    """Stable pseudonym 'P' + 12 hex digits of HMAC-SHA256(salt, PatientID)."""
    if not salt:
        raise ValueError("pseudonymization needs a non-empty salt")
    digest = hmac.new(salt.encode("utf-8"), patient_id.strip().encode("utf-8"), hashlib.sha256)
    return "P" + digest.hexdigest()[:12]


def patient_key(patient_id: str, salt: str | None = None) -> str:
    """Identifier used in every output: the pseudonym when ``salt`` is given, else the safe PatientID.

    An empty PatientID stays empty (the inventory refuses such series).
    """
    if not patient_id.strip():
        return ""
    return pseudonym(patient_id, salt) if salt else path_safe(patient_id)
