"""Outbound messages: the outbox worker (:mod:`.outbox`), e-mail (:mod:`.email`) and the HTTP
senders for hooks and SMS."""
