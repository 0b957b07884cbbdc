"""ICD-10 code systems and code spelling: normalisation, dotted form, shape checks."""

from __future__ import annotations

import enum
import re

__all__ = ["CodeSystem", "dotted", "is_icd10_code", "normalize_code"]


class CodeSystem(enum.StrEnum):
    """ICD-10 variant a code is written in."""

    ICD10 = "icd-10"
    """WHO ICD-10 (2019 edition)."""
    ICD10_CM = "icd-10-cm"
    """ICD-10-CM, the US clinical modification."""

    @property
    def display_name(self) -> str:
        """Return the system's usual name: ``WHO ICD-10`` or ``ICD-10-CM``."""
        return "WHO ICD-10" if self is CodeSystem.ICD10 else "ICD-10-CM"


# Category (a letter, a digit, a digit or letter as in ICD-10-CM "O9A", or a letter as in
# ICD-10-CM "QA0"), optional dot, then up to four more characters: seven in all, the ICD-10-CM
# maximum. WHO writes a dagger or asterisk after dual-classified codes ("A18.0†", "M49.0*");
# the mark is accepted and dropped. Whether the code exists is the code table's business.
_CODE_RE = re.compile(r"([A-Z][0-9A-Z][0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?[*†+]?")


def normalize_code(code: str) -> str:
    """Return ``code`` upper-cased without whitespace, dot and dagger: ``'c34.1 '`` -> ``'C341'``.

    Raises ``ValueError`` if ``code`` is not shaped like a WHO ICD-10 or ICD-10-CM code:
    a letter, two letters or digits, then optionally a dot and one to four letters or digits
    (``'C34.1'``, ``'O9A.1'``, ``'Z91.030'``, ``'T78.3XXA'``). Whether the code exists in a
    system is checked by :func:`herniarules.terminology.check_code`.
    """
    if not isinstance(code, str):
        raise TypeError(f"ICD-10 code must be a str, not {type(code).__name__}")
    match = _CODE_RE.fullmatch(code.strip().upper())
    if match is None:
        raise ValueError(
            f"{code!r} is not an ICD-10 code: expected a letter, two letters or digits, "
            "then optionally a dot and 1-4 letters or digits (e.g. 'C34.1', 'O9A.1', 'Z91.030')"
        )
    return match.group(1) + (match.group(2) or "")


def is_icd10_code(code: str) -> bool:
    """Return whether ``code`` is shaped like an ICD-10 code (see :func:`normalize_code`)."""
    try:
        normalize_code(code)
    except (TypeError, ValueError):
        return False
    return True


def dotted(code: str) -> str:
    """Return a normalized code in conventional spelling: ``'C341'`` -> ``'C34.1'``."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"
