"""Messages by SMS, Zalo and printed card, through the one outbox (eventsapp.mail).

`models` (short links, Zalo templates, OAuth tokens, an event's channel order), `segments` (GSM-7 or
UCS-2, segments and cost), `providers` (one adapter per gateway behind `providers.base`), `texts` (what an
SMS says, what a Zalo template gets), `dispatch` (claim, send, record, fall back), `routing` (which
channel a person gets), `receipts` (delivery callbacks and STOP replies), `reports` (by channel).
"""
