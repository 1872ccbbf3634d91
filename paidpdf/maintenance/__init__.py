"""Maintenance: keeping a shop's data safe and sound.

Backups, their verification and restores (`backups`; the manifest is read by
`paidpdf.store.backup_manifest`), integrity checks and the summary `db info` shows (`checks`),
emptying a shop behind a verified backup (`flush`), and what they share about the data folder's
files (`data_folder`).
"""
