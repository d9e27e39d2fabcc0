#!/usr/bin/env python
"""Django's command-line utility; the installed ``swim`` script does the same."""

from swim.__main__ import main

if __name__ == "__main__":
    main()
