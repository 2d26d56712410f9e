import sys

from lungtrack.cli import main

sys.exit(main())
