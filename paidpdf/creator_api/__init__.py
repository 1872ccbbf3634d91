"""The creator API (`/api/v1/`): its keys (`keys`), the shapes it answers with (`shapes`, turned into
JSON Schema by `json_schema`), and what each endpoint reads or does (`resources`, over the same domain
functions as the CLI). The web adapter is `paidpdf.web.creator_api`; docs/api.md says how to use it.
"""
