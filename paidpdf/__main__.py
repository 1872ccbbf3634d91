"""`python -m paidpdf ...`: the admin CLI, the same as the installed `paidpdf` command."""

from paidpdf.admin.main import main

if __name__ == "__main__":
    main()
