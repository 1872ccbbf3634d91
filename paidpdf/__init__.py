"""paidpdf: a self-hosted store for selling PDFs.

The package holds all logic; `cli.py` and `reader.py` at the top of the repository only wire it up.
"""

__version__ = "0.1.0"
