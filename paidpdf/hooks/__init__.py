"""Outgoing webhooks (`paidpdf hooks`, docs/hooks.md): endpoints the creator registers (`endpoints`),
events queued in the same store unit as the change that causes them (`events`), delivered signed per
the Standard Webhooks specification by a background worker (`delivery`, `sending`, `runner`), never to
a private address unless allowed (`address_check`).
"""
