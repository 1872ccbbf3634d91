"""paidpdf: a self-hosted store for selling PDFs.

The package holds all logic; `cli.py` and `reader.py` at the top of the repository only wire it up.
Its folders are its layers, each importing only from the ones below it:

- adapters: `admin` (the Typer CLI), `web` (the Bottle site), `stripe_local` (the Stripe stand-in,
  which imports nothing of the shop);
- domain areas: `content` (what is sold), `accounts` (who reads), `ownership` (who may download
  what), `sales` (orders, payments, refunds), `maintenance` (backups, checks, flushes),
  `creator_api` (the `/api/v1/` keys, shapes and OpenAPI document), `hooks` (outgoing webhooks);
- storage: `store` (the only place that imports TinyDB);
- shared vocabulary at the top: `errors`, `config`, `money`, `clock`, `mail`, `byte_sizes`;
- `testing`: harness code shared by the test suite and the benches.
"""

__version__ = "0.1.0"
