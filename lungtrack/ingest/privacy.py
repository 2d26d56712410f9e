"""Patient identifiers in outputs: PatientID made a safe, stable file name, or a salted-hash pseudonym.

Ingest reads no identifying header other than PatientID. PatientName and PatientBirthDate are read
only to tell two people under one PatientID apart, and only as a hash (``identity_hash``); they
are never stored or written.
"""

import hashlib
import hmac
import re

from lungtrack.io.names import path_safe

ANONYMOUS = "anon-"  # prefix of the keys of studies without PatientID


def _short_hash(text: str, salt: str | None = None, digits: int = 6) -> str:
    """First ``digits`` hex digits of SHA-256 (HMAC-SHA256 with ``salt`` when given) of ``text``."""
    if salt:
        return hmac.new(salt.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()[:digits]
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:digits]


def file_key(text: str) -> str:
    """A safe, stable file name for ``text``: itself when it is one, else its cleaned form + '-' + a hash.

    Safe: only [A-Za-z0-9._-], not starting with '.' or '-' (never '.', '..' or an option). The
    hash is of ``text`` itself, so a key never depends on which other IDs exist ('A/B' -> 'A_B-<hash>',
    'A_B' -> 'A_B').
    """
    cleaned = re.sub(r"^[.-]", "_", path_safe(text))
    return cleaned if cleaned == text else f"{cleaned}-{_short_hash(text)}"


def pseudonym(patient_id: str, salt: str) -> str:
    """Stable pseudonym 'P' + 12 hex digits of HMAC-SHA256(salt, PatientID)."""
    if not salt:
        raise ValueError("pseudonymization needs a non-empty salt")
    return "P" + _short_hash(patient_id.strip(), salt, 12)


def anonymous_key(study_uid: str, salt: str | None = None) -> str:
    """Key of a study without PatientID: 'anon-' + 12 hex digits of the (salted) hash of its StudyInstanceUID.

    Nothing links such studies, so each one is its own patient with one timepoint.
    """
    return ANONYMOUS + _short_hash(study_uid, salt, 12)


def person_key(key: str, identity: str, salt: str | None = None) -> str:
    """Key of one of several people sharing a PatientID: ``key`` + '-' + a hash of their ``identity_hash``."""
    return f"{key}-{_short_hash(identity, salt)}"


def identity_hash(*fields: str) -> str:
    """Hash of identifying header values (PatientName, PatientBirthDate), to compare them without keeping them.

    Empty when every field is empty (unknown identity).
    """
    if not any(f.strip() for f in fields):
        return ""
    return hashlib.sha256("\x1f".join(f.strip().upper() for f in fields).encode("utf-8")).hexdigest()


def patient_key(patient_id: str, salt: str | None = None) -> str:
    """Identifier used in every output: the pseudonym when ``salt`` is given, else :func:`file_key` of PatientID.

    An empty PatientID stays empty (the inventory keys such studies by :func:`anonymous_key`).
    """
    if not patient_id.strip():
        return ""
    return pseudonym(patient_id, salt) if salt else file_key(patient_id)
