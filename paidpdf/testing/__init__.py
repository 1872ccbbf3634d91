"""Harness shared by the test suite and the benches (`bench/`): start `paidpdf serve` as a real process
on a free port, build a Checkout Session as Stripe sends it. Not used by the shop itself; kept in the
package so `bench/` never imports from `tests/`."""
