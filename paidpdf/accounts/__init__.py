"""Accounts: who the readers are and how they prove it.

Users and their credentials (`users`), server-side sessions (`sessions`), password resets by mail
(`password_resets`), hashing (`passwords`), login and sign-up throttling (`throttle`), and the table
names and housekeeping they share in `accounts.json` (`records`).
"""
