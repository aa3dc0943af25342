"""``python -m switchboard.prefork``: run the prefork server (see ``server.py``)."""

from switchboard.prefork.server import main

main()
