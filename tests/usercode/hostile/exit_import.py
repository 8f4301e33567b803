"""Calls sys.exit while loading (in an assignment, which runs)."""

import sys

STATUS = sys.exit(3)
