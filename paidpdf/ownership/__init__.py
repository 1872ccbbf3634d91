"""Ownership: which reader may download which item, and why.

The entitlement rows behind every download (`library`), the one place that decides access to an item
or its cover (`access`) and the admin's gifts and take-backs by email (`gifts`).
"""
