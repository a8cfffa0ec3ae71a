"""`python -m ccas` runs the same entry point as the `ccas` command."""
import sys

from ccas.cli import main

sys.exit(main())
