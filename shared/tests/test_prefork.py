"""The prefork server: forked services behave as processes started with ``python -m``."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from switchboard.prefork import PreforkServer

SCRIPT = """
import os, sys, time
print("argv", sys.argv[1:], "env", os.environ.get("PREFORK_PROBE"), "pid", os.getpid(), flush=True)
mode = sys.argv[1]
if mode == "exit":
    sys.exit(int(sys.argv[2]))
if mode == "raise":
    raise RuntimeError("boom")
if mode == "echo":
    line = sys.stdin.readline().strip()
    print("out", line)
    print("err", line, file=sys.stderr)
    sys.exit(4)
time.sleep(60)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[PreforkServer]:
    started = PreforkServer(preload=("json",)).start()
    yield started
    started.close()


@pytest.fixture
def module(tmp_path: Path) -> str:
    (tmp_path / "probe_service.py").write_text(SCRIPT)
    return "probe_service"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tmp_path), **extra}


def test_runs_the_module_with_its_own_args_env_and_log(
    server: PreforkServer, module: str, tmp_path: Path
) -> None:
    log = tmp_path / "one.log"
    process = server.spawn(module, ["exit", "3"], _env(tmp_path, PREFORK_PROBE="a"), log)
    assert process.wait(timeout=20) == 3
    assert process.poll() == 3
    text = log.read_text()
    assert f"argv ['exit', '3'] env a pid {process.pid}" in text
    # The next one sees its own environment, not the previous one's.
    other = server.spawn(module, ["exit", "0"], _env(tmp_path), tmp_path / "two.log")
    assert other.wait(timeout=20) == 0
    assert "env None" in (tmp_path / "two.log").read_text()


def test_run_gives_input_and_captures_output_as_subprocess_run_does(
    server: PreforkServer, module: str, tmp_path: Path
) -> None:
    done = server.run(module, ["echo"], _env(tmp_path), input="hello\n", timeout=20)
    assert done.returncode == 4
    assert done.stdout.splitlines()[-1] == "out hello"
    assert done.stderr == "err hello\n"
    # Without input the tool reads an empty standard input, as with ``input=None``.
    empty = server.run(module, ["echo"], _env(tmp_path), timeout=20)
    assert empty.stdout.splitlines()[-1] == "out " and empty.stderr == "err \n"


def test_an_exception_exits_1_with_its_traceback_in_the_log(
    server: PreforkServer, module: str, tmp_path: Path
) -> None:
    log = tmp_path / "raise.log"
    process = server.spawn(module, ["raise"], _env(tmp_path), log)
    assert process.wait(timeout=20) == 1
    assert "RuntimeError: boom" in log.read_text()


def test_each_process_leads_its_own_group_and_reports_the_signal_that_ended_it(
    server: PreforkServer, module: str, tmp_path: Path
) -> None:
    process = server.spawn(module, ["sleep"], _env(tmp_path), tmp_path / "sleep.log")
    assert process.poll() is None
    assert os.getpgid(process.pid) == process.pid
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.2)
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait(timeout=20) == -signal.SIGKILL


def test_closing_the_server_ends_what_it_started(module: str, tmp_path: Path) -> None:
    own = PreforkServer(preload=()).start()
    process = own.spawn(module, ["sleep"], _env(tmp_path), tmp_path / "left.log")
    log = tmp_path / "left.log"
    deadline = time.monotonic() + 10
    while not (log.exists() and "pid" in log.read_text()):
        assert time.monotonic() < deadline, "the forked process never started"
        time.sleep(0.05)
    own.close()
    assert process.wait(timeout=20) == -signal.SIGTERM
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)


TRUST_PROBE = """
from switchboard.http_clients import tls_context
print(tls_context().cert_store_stats()["x509_ca"])
"""


def _one_ca(path: Path) -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "prefork test CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_a_fork_with_its_own_trust_store_gets_a_tls_context_of_its_own(tmp_path: Path) -> None:
    """The server builds the shared TLS context once; a service told to trust other
    CAs (SSL_CERT_FILE) must not inherit the server's."""
    (tmp_path / "trust_probe.py").write_text(TRUST_PROBE)
    ca = tmp_path / "ca.pem"
    _one_ca(ca)
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    env["PYTHONPATH"] = str(tmp_path)
    server = PreforkServer(preload=("switchboard.http_clients",)).start()
    try:
        default = server.run("trust_probe", [], env)
        own = server.run("trust_probe", [], {**env, "SSL_CERT_FILE": str(ca)})
    finally:
        server.close()
    assert default.returncode == 0 and own.returncode == 0, default.stderr + own.stderr
    assert int(default.stdout) > 1  # the default bundle's CAs
    assert int(own.stdout) == 1
