"""Memberships: plans that give readers access to many items for a time, sold through Stripe Billing.

The domain side (no Typer/Bottle/Rich); adapters: `paidpdf/admin/plans.py`, `paidpdf/admin/subscriptions.py`
(CLI), the web's membership pages, `paidpdf/web/webhook.py` (events). Lifecycle: docs/memberships.md.

API (names are stable; the web builds on them)
----------------------------------------------
`plans` (catalog file, table `plans`)
    list_plans(store, include_retired=False) -> list[Doc]      live plans, oldest first
    get(store, plan_id) -> Doc  (NotFound)                      find(view, plan_id) -> Doc | None
    add(store, plan_id, *, title, price_text, currency, interval="month", trial_days=0, covers="all",
        description="", pass_text=None) -> Doc                  edit(...), set_status(store, id, status)
    is_pass(plan) -> bool, covers_item(covers, item) -> bool, describe_covers(covers) -> str,
    public(plan) -> dict (the --json shape); plan fields: id, title, description, price (minor units),
    currency, interval ("month"|"year"|None), pass_days (int|None), trial_days, covers ("all" | [tags]),
    status ("active"|"retired").
`joins` (joining: Checkout)
    start_join(store, client, settings, *, user, plan_id, guest_token=None) -> JoinStart
        JoinStart(kind: "redirect" | "member", plan, join, url)   (guest: guest_token = sha256 of cookie,
        as `sales.guest_checkout.token_digest`)
    confirm_return(store, client, settings, *, session_id, user_id) -> subscriptions.Change  (success page
        at /membership/success?session_id=...; cancel_url is /membership)
    join_for_session(view, session) -> Doc | None              (join fields: id, plan_id, user_id,
        guest_token, status "pending"|"complete"|"expired", stripe_session_id, subscription_id; kept in
        `join_records`, re-exported here with is_join_session, plan_of, JOINS)
`records` (the reader's membership record: the access check)
    grants(view, user_id, *, at=None, live_only=True) -> list[Grant]
    covering(view, user_id, item, *, at=None) -> Grant | None   ONE lookup by the reader
    Grant(subscription_id, plan_id, plan_title, covers, status, access_until).gives_access(at=None)
    ACCESS_STATUSES = {"active", "trialing", "past_due"}
`paidpdf.ownership.access` (integrated): ShelfItem.included_in (plan title or None) on shelf_item /
    downloadable_item (members download covered items, stamped and logged like any download, never
    added to their library); included_items(store, user) -> [(plan title, [ShelfItem])] for the library.
`subscriptions` (sales file, table `subscriptions`; id = Stripe `sub_…` or `pass_…`)
    find_for_user(view, user_id) -> list[Doc] newest first; get(view, id); access_now(sub) -> bool;
    public(sub); Change(action, subscription, detail, notices).gives_access
    doc fields: id, kind ("subscription"|"pass"), plan_id, plan_title, covers, user_id, email, customer,
    status (Stripe's), access_status, access_until, period_start, period_end, cancel_at_period_end,
    canceled_at, ended_at, trial_end, amount, currency, interval, latest_invoice, history.
`portal`
    portal_url(store, client, settings, user) -> str   ("Manage membership"; NotFound without a customer)
`notices` (mails owed: welcome, payment_failed, cancel_confirmed, access_ended; queued once each)
    due(view, limit=50) -> list[Doc]; claim(store, notice_id) -> Doc | None; mark(store, notice_id,
    "sent" | "due"); notice fields: id, kind, subscription_id, user_id, email, plan_id, plan_title,
    access_until.
`lifecycle` (events; each one a prompt to retrieve the subscription and apply its current state)
    handles(event_type, obj) -> bool; handle_event(store, client, event, *, livemode) -> Change;
    sync_subscription(store, client, subscription_id, *, source, invoice=None, owner=None) -> Change;
    complete_join(store, client, session, *, livemode, source) -> Change
`invoices` (recorded once by id), `cancellation.cancel(store, client, sub_id, *, now, refund_last)`,
`billing_reconcile.reconcile(store, client, since, *, livemode, sessions)`, `member_stats.compute(view)`,
`billing_gateway` (the Stripe Billing calls), `stripe_state` (Stripe objects read into plain facts).
"""
