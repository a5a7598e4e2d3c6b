import sys

from duluan.cli import main

sys.exit(main())
