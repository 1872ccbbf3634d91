"""License keys for software sold in the shop: issued with each grant of a licensed item, checked by
the creator's software through a Gumroad- and Lemon Squeezy-shaped API (see docs/licenses.md)."""
