"""Start service processes by forking one that has already imported them.

A fresh interpreter spends most of a service's start-up importing pydantic,
SQLAlchemy, FastAPI and the schema: about 10 CPU-seconds for a local stack of
five processes. A prefork server imports all that once; each service is then
a fork of it running its module as ``python -m`` would, in its own session
(process group), with its own environment, arguments and log file. Local
stacks in tests start this way; each service is still its own OS process.

The server is single-threaded and forks only from its main loop, so no lock
is held by another thread at fork time. It reports each child's exit status
back, so the launcher sees ``poll()``, ``wait()`` and ``returncode`` as with
``subprocess.Popen``.
"""

from switchboard.prefork.launcher import SERVICE_MODULES, ForkedProcess, PreforkServer

__all__ = ("SERVICE_MODULES", "ForkedProcess", "PreforkServer")
