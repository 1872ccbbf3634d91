"""Entry point for the admin CLI: `python cli.py ...` is the same as the installed `paidpdf` command."""

from paidpdf.admin import main

if __name__ == "__main__":
    main()
