"""HTTP clients for calls between our services.

A call between services carries exactly the headers it is given: no cookie
jar. httpx's clients keep one by default, so a ``Set-Cookie`` answered to one
browser's forwarded request would be replayed on the next request that carries
none, handing one user's identity to another visitor.

Every client shares one TLS context: building one loads the CA bundle, which
costs more CPU than the rest of a service's HTTP set-up.
"""

from __future__ import annotations

import functools
import os
import ssl
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

__all__ = ("internal_client", "refusing_cookie_jar", "tls_context")


def tls_context() -> ssl.SSLContext:
    """The process's verifying TLS context for its trust store (httpx's default, or
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` as httpx reads them), built once per store."""
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The arguments are the cache's key only: httpx reads the same variables itself.
    return httpx.create_ssl_context()


def refusing_cookie_jar() -> CookieJar:
    """A jar that stores no cookie, whatever a response sets."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def internal_client(
    base_url: str, *, timeout: float, limits: httpx.Limits | None = None
) -> httpx.AsyncClient:
    """An ``AsyncClient`` to one of our services, without a cookie jar."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        limits=limits or httpx.Limits(),
        cookies=refusing_cookie_jar(),
        verify=tls_context(),
    )
