"""Maintenance: keeping a shop's data safe and sound.

Backups, their verification and restores (`backups`, the manifest in `manifest`), and integrity
checks, flushes and the summary `db info` shows (`checks`).
"""
