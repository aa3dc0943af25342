"""Write deploy/.env for docker compose from deploy/.env.example, with random secrets.

Every value marked CHANGE-ME becomes 64 random hex characters (URL-safe, so it fits in
the database URLs too); every other line is copied as it is. An existing file is never
touched: the secrets in it are already in the volumes of a running stack.

    python3 deploy/compose_env.py [TARGET]      # default: deploy/.env beside this file
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE / ".env.example"
PLACEHOLDER = "CHANGE-ME"


def render(example: str) -> str:
    body = example.split("\n\n", 1)[1]  # below the example's own instructions
    lines = ["# Written by `make compose-env` from deploy/.env.example; secrets are random.", ""]
    for line in body.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and PLACEHOLDER in value:
            line = f"{key}={secrets.token_hex(32)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else HERE / ".env"
    text = render(EXAMPLE.read_text(encoding="utf-8"))
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"{target} exists: kept as it is")
        return 0
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"{target} written with random secrets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
