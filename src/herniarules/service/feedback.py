"""Read a CDS Hooks 2.0 feedback call: what the clinician did with each card.

Each item names a card this service issued (by its ``uuid``), its ``outcome``
(``accepted`` or ``overridden``) and when (``outcomeTimestamp``). An override may carry a
``reason``, which must be one of the ``overrideReasons`` the card offered, and a free-text
``userComment``. ``acceptedSuggestions`` can name no suggestion: the service's cards offer
none. Every problem is named by its path; nothing is recorded unless every item is valid.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from herniarules.errors import Problem
from herniarules.service.audit import CardRecord, FeedbackRecord
from herniarules.service.hook_request import RequestError, _kind, member

__all__ = ["MAX_FEEDBACK_ITEMS", "read_feedback"]

#: Most feedback items one call may carry.
MAX_FEEDBACK_ITEMS = 100
_OUTCOMES = ("accepted", "overridden")
_ITEM = ("card", "outcome", "acceptedSuggestions", "overrideReason", "outcomeTimestamp")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})\Z")


def _instant(value: object) -> bool:
    if not isinstance(value, str) or not _INSTANT.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def read_feedback(
    data: object, service_id: str, card: Callable[[str], CardRecord | None]
) -> list[FeedbackRecord]:
    """Return the feedback items of a call to ``service_id``; raise ``RequestError``.

    :param card: looks up a card issued by the service by its uuid.
    """
    if not isinstance(data, Mapping):
        raise RequestError([Problem("$", f"must be a JSON object, got {_kind(data)}")])
    problems: list[Problem] = []
    for key in data:
        if key != "feedback":
            problems.append(Problem(member("", key), "unknown field; allowed: feedback"))
    items = data.get("feedback")
    if "feedback" not in data:
        problems.append(Problem("feedback", "required"))
    elif not isinstance(items, list) or not items:
        problems.append(Problem("feedback", "must be a non-empty array"))
    elif len(items) > MAX_FEEDBACK_ITEMS:
        problems.append(Problem("feedback", f"must hold at most {MAX_FEEDBACK_ITEMS} items"))
    if problems:
        raise RequestError(problems)
    assert isinstance(items, list)
    now = datetime.now(UTC).isoformat()
    records: list[FeedbackRecord] = []
    for index, item in enumerate(items):
        path = f"feedback[{index}]"
        if not isinstance(item, Mapping):
            problems.append(Problem(path, f"must be an object, got {_kind(item)}"))
            continue
        before = len(problems)
        for key in item:
            if key not in _ITEM:
                problems.append(
                    Problem(member(path, key), f"unknown field; allowed: {', '.join(_ITEM)}")
                )
        for key in ("card", "outcome", "outcomeTimestamp"):
            if key not in item:
                problems.append(Problem(f"{path}.{key}", "required"))
        found: CardRecord | None = None
        card_id = item.get("card")
        if "card" in item:
            if not isinstance(card_id, str) or len(card_id) > 64:
                problems.append(
                    Problem(f"{path}.card", f"must be a card uuid, got {_kind(card_id)}")
                )
            else:
                try:
                    uuid.UUID(card_id)
                except ValueError:
                    problems.append(Problem(f"{path}.card", f"must be a uuid, got {card_id!r}"))
                else:
                    found = card(card_id)
                    if found is None or found.service_id != service_id:
                        problems.append(
                            Problem(f"{path}.card", f"no card {card_id} was issued by {service_id}")
                        )
        result = item.get("outcome")
        if "outcome" in item and result not in _OUTCOMES:
            problems.append(
                Problem(
                    f"{path}.outcome", f"must be one of {', '.join(_OUTCOMES)}, got {_kind(result)}"
                )
            )
        if "outcomeTimestamp" in item and not _instant(item["outcomeTimestamp"]):
            problems.append(
                Problem(
                    f"{path}.outcomeTimestamp",
                    f"must be an instant such as 2026-12-01T09:00:00Z, "
                    f"got {_kind(item['outcomeTimestamp'])}",
                )
            )
        if "acceptedSuggestions" in item:
            accepted = item["acceptedSuggestions"]
            if not isinstance(accepted, list):
                problems.append(
                    Problem(
                        f"{path}.acceptedSuggestions", f"must be an array, got {_kind(accepted)}"
                    )
                )
            elif accepted:
                problems.append(
                    Problem(
                        f"{path}.acceptedSuggestions",
                        "names a suggestion, but this service's cards offer none",
                    )
                )
        system = code = comment = None
        if "overrideReason" in item:
            reason = item["overrideReason"]
            where = f"{path}.overrideReason"
            if result != "overridden":
                problems.append(Problem(where, "is allowed only with the outcome 'overridden'"))
            if not isinstance(reason, Mapping):
                problems.append(Problem(where, f"must be an object, got {_kind(reason)}"))
            else:
                for key in reason:
                    if key not in ("reason", "userComment"):
                        problems.append(
                            Problem(
                                member(where, key), "unknown field; allowed: reason, userComment"
                            )
                        )
                comment = reason.get("userComment")
                if "userComment" in reason and (
                    not isinstance(comment, str) or not comment.strip() or len(comment) > 4000
                ):
                    problems.append(
                        Problem(f"{where}.userComment", "must be text of 1 to 4000 characters")
                    )
                coding = reason.get("reason")
                if "reason" in reason:
                    if not isinstance(coding, Mapping) or not all(
                        isinstance(coding.get(k), str) for k in ("system", "code")
                    ):
                        problems.append(
                            Problem(f"{where}.reason", "must be a Coding with system and code")
                        )
                    else:
                        system, code = coding["system"], coding["code"]
                        offered = found.override_reasons if found is not None else ()
                        if found is not None and (system, code) not in offered:
                            allowed = ", ".join(f"{s}|{c}" for s, c in offered) or "none"
                            problems.append(
                                Problem(
                                    f"{where}.reason",
                                    f"{system}|{code} is not a reason this card offered "
                                    f"(offered: {allowed})",
                                )
                            )
        if len(problems) > before or found is None:
            continue
        text = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        records.append(
            FeedbackRecord(
                feedback_id=str(uuid.uuid4()),
                recorded_at=now,
                card_uuid=found.uuid,
                decision_id=found.decision_id,
                service_id=service_id,
                outcome=str(result),
                outcome_timestamp=str(item["outcomeTimestamp"]),
                override_system=system,
                override_code=code,
                user_comment=comment if isinstance(comment, str) else None,
                input_sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    if problems:
        raise RequestError(problems)
    return records
