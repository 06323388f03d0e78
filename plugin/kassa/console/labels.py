"""Staff-facing names of task kinds, channels and call outcomes (translated where shown)."""

from __future__ import annotations

from ..i18n import N_

KIND_NAMES = {
    "overdue_contact": N_("Friendly contact"),
    "message": N_("Message"),
    "extension_request": N_("More time"),
    "plan_request": N_("Payment plan"),
    "dispute_request": N_("Dispute"),
    "callback_request": N_("Callback"),
    "credit_review": N_("Credit review"),
    "undelivered": N_("Message not delivered"),
    "survey_followup": N_("Survey follow-up"),
}
CHANNEL_NAMES = {
    "message": N_("Message"), "phone": N_("Phone call"), "sms": N_("SMS"),
    "email": N_("E-mail"), "self_service": N_("Customer's own pages"),
    "letter": N_("Letter"), "einvoice": N_("E-invoice"), "digital_mailbox": N_("Digital mailbox"),
}
CALL_OUTCOME_LABELS = (
    ("promise", N_("Promised to pay")),
    ("plan", N_("Payment plan agreed")),
    ("dispute", N_("Disputes the invoice")),
    ("no_answer", N_("No answer")),
    ("wrong_number", N_("Wrong number")),
)

REQUEST_STATUS_NAMES = {
    "pending": N_("Waiting for a decision"), "granted": N_("Granted"),
    "refused": N_("Refused"), "done": N_("Done"), "cancelled": N_("Cancelled"),
}
THREAD_STATUS_NAMES = {
    "open": N_("Waiting for our answer"), "answered": N_("Answered"),
    "resolved": N_("Resolved"),
}
#: The invoice trail's entries as the team reads them.
EVENT_NAMES = {
    "issued": N_("Invoice issued"), "sent": N_("Sent"), "opened": N_("Opened"),
    "delivery_failed": N_("Could not be delivered"), "resend_queued": N_("Sent again"),
    "link_requested": N_("New link asked for"), "links_revoked": N_("Links revoked"),
    "paid": N_("Paid in full"), "partly_paid": N_("Part payment"),
    "refunded": N_("Refunded to the card"), "credited": N_("Credit note"),
    "fee_added": N_("Reminder fee added"), "reminded": N_("Reminder sent"),
    "friendly_contact": N_("Friendly reminder sent"), "handed_to_team": N_("Handed to the team"),
    "handed_to_collection": N_("Handed to collection"), "handed_over": N_("Handed over"),
    "disputed": N_("Disputed: reminders wait"), "plan_agreed": N_("Payment plan agreed"),
    "extended": N_("Due date moved"), "reminders_paused": N_("Reminders paused"),
    "hold_ended": N_("Reminders resumed"), "plan_missed": N_("Plan instalment missed"),
    "channel_changed": N_("Channel changed"), "contact_changed": N_("Contact details changed"),
    "extension_requested": N_("More time asked for"), "plan_requested": N_("Plan asked for"),
    "extension_decided": N_("More time decided"), "plan_decided": N_("Plan decided"),
    "dispute_decided": N_("Dispute decided"), "callback_decided": N_("Callback done"),
    "call_logged": N_("Call"), "amended": N_("Amended by the plan"),
    "cancelled": N_("Cancelled"), "payment_failed": N_("Card payment failed"),
    "payment_rejected": N_("Payment could not be booked"),
}
