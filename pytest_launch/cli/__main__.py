import sys

from pytest_launch.cli import main

sys.exit(main())
