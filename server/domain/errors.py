"""Refusals: every command the domain rejects raises a `DomainError` with a stable code.

The code is for programs (consoles pick an icon or a hint by it) and, with the params (the
command's details: labels, numbers, times, a channel or reason code), for people:
`server.messages` says each code in a sentence, in the caller's language.
"""

from __future__ import annotations

# Every refusal the domain (and the service: `command_id_reused`) gives.
CODES: frozenset[str] = frozenset(
    {
        "unknown_service",
        "unknown_counter",
        "unknown_ticket",
        "counter_closed",
        "counter_on_break",
        "counter_already_open",
        "counter_already_closed",
        "counter_busy",
        "counter_idle",
        "counter_has_held",
        "nobody_waiting",
        "not_served_here",
        "ticket_not_waiting",
        "ticket_not_called",
        "ticket_not_no_show",
        "ticket_not_held",
        "ticket_finished",
        "recall_limit",
        "transfer_target_missing",
        "transfer_to_self",
        "venue_closed",
        "issue_closed",
        "quota_full",
        "channel_quota_full",
        "no_priority_lane",
        "running_text_too_long",
        "day_full",
        "priority_unconfirmed",
        "unknown_tenant",
        "request_text_invalid",
        "notice_too_long",
        "alert_invalid",
        "alert_acknowledged",
        "booking_disabled",
        "booking_day_invalid",
        "booking_slot_invalid",
        "booking_slot_past",
        "booking_slot_full",
        "booking_incomplete",
        "booking_exists",
        "booking_taken",
        "unknown_booking",
        "booking_cancelled",
        "booking_used",
        "booking_other_day",
        "check_in_early",
        "check_in_late",
        "clock_behind",
        "itinerary_too_long",
        "command_id_reused",
        "survey_closed",
        "survey_unknown",
        "survey_answered",
        "survey_not_served",
        "survey_invalid",
        "unknown_complaint",
        "complaint_exists",
        "complaint_invalid",
        "complaint_text_length",
        "complaint_step_invalid",
        "complaint_note_missing",
    }
)


class DomainError(Exception):
    """A command the domain refuses. Nothing was decided; the state is unchanged."""

    def __init__(self, code: str, **params: object) -> None:
        if code not in CODES:
            raise KeyError(f"no such domain error code {code!r}")
        self.code = code
        self.params = params
        super().__init__(f"{code} {params}" if params else code)
