"""Moving in: a creator's buyers and purchases from Gumroad, Lemon Squeezy or Payhip (docs/import.md)."""
