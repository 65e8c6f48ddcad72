"""python3 -m nnc ARGS: the nnc command line."""
import sys

from . import main

sys.exit(main(sys.argv[1:]))
