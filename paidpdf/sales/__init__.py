"""Sales: money coming in and going back.

Orders and their lifecycle (`orders`), fulfilment exactly once (`fulfilment`), refunds and disputes
(`refunds`), the Stripe adapter (`stripe_gateway`), the checkout and reconcile use cases (`checkout`,
`reconcile`) and the figures admins read (`sales_stats`).
"""
