"""Every Redis key, stream, channel, queue and consumer-group name.

Nothing else in Switchboard spells a Redis key. Keys of one session share a
hash tag (``{session_id}``) so a future Redis Cluster keeps them on one slot.
A prefix per deployment (or per test) isolates whole stacks on one server.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ("PERSIST_GROUP", "RedisNames")

PERSIST_GROUP = "persistence"


def _glob_escape(text: str) -> str:
    """``text`` matched literally inside a Redis glob pattern."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


@dataclass(frozen=True, slots=True)
class RedisNames:
    prefix: str = "sb"

    # --- one session -----------------------------------------------------
    def session(self, session_id: str) -> str:
        """Hash: ``record`` (SessionRecord JSON) plus lifecycle flags."""
        return f"{self.prefix}:s:{{{session_id}}}"

    def user_session(self, session_id: str) -> str:
        """Hash of JSON-encoded ``user_session`` values."""
        return f"{self.prefix}:s:{{{session_id}}}:user"

    def ui_stream(self, session_id: str) -> str:
        """Stream of UI events for the session's browser, replayable by id."""
        return f"{self.prefix}:s:{{{session_id}}}:ui"

    def inbox(self, session_id: str) -> str:
        """List of pending SessionInput JSON, processed in order."""
        return f"{self.prefix}:s:{{{session_id}}}:inbox"

    def lock(self, session_id: str) -> str:
        """Held by the worker currently running the session's inputs."""
        return f"{self.prefix}:s:{{{session_id}}}:lock"

    def current(self, session_id: str) -> str:
        """Hash: the input a worker is running and its run step, to recover if it dies."""
        return f"{self.prefix}:s:{{{session_id}}}:current"

    def deferred(self, session_id: str) -> str:
        """Persistence events produced before the first interaction."""
        return f"{self.prefix}:s:{{{session_id}}}:deferred"

    def uploads(self, session_id: str, scope: str) -> str:
        """Counter: files uploaded for one ask (its id) or for the next message ("spontaneous")."""
        return f"{self.prefix}:s:{{{session_id}}}:uploads:{scope}"

    def message_rate(self, who: str, window: int) -> str:
        """Counter: client messages of one user (or anonymous session) in one minute window."""
        return f"{self.prefix}:rate:{who}:{window}"

    def asks(self, session_id: str) -> str:
        """Hash: pending ask id -> the ``ask`` event, re-shown on reconnect."""
        return f"{self.prefix}:s:{{{session_id}}}:asks"

    def calls(self, session_id: str) -> str:
        """Hash: pending copilot call id -> the ``call_fn`` event, re-sent on reconnect."""
        return f"{self.prefix}:s:{{{session_id}}}:calls"

    def answer(self, session_id: str, ask_id: str) -> str:
        """List the worker waiting on an ask blocks on for its answer."""
        return f"{self.prefix}:s:{{{session_id}}}:answer:{ask_id}"

    def reply(self, session_id: str, request_id: str) -> str:
        """List a gateway blocks on for the result of a request it queued."""
        return f"{self.prefix}:s:{{{session_id}}}:reply:{request_id}"

    def chat_context(self, session_id: str) -> str:
        """List of the session's message dicts, shared by every worker."""
        return f"{self.prefix}:s:{{{session_id}}}:chat"

    def mcp_holder(self, session_id: str) -> str:
        """String: the worker holding the session's MCP servers (expires if it dies)."""
        return f"{self.prefix}:s:{{{session_id}}}:mcp_holder"

    def stop_claim(self, session_id: str, stop_id: str) -> str:
        """Taken by the one worker that handles a given stop request."""
        return f"{self.prefix}:s:{{{session_id}}}:stop:{stop_id}"

    def session_keys(self, session_id: str) -> tuple[str, ...]:
        return (
            self.session(session_id),
            self.user_session(session_id),
            self.ui_stream(session_id),
            self.inbox(session_id),
            self.deferred(session_id),
            self.asks(session_id),
            self.calls(session_id),
            self.chat_context(session_id),
            self.current(session_id),
            self.mcp_holder(session_id),
        )

    @property
    def session_pattern(self) -> str:
        """SCAN pattern matching every session hash and none of its satellite keys."""
        return f"{_glob_escape(self.prefix)}:s:{{*}}"

    @property
    def asks_pattern(self) -> str:
        """SCAN pattern matching every session's pending-asks hash."""
        return f"{self.session_pattern}:asks"

    # --- sessions registry ----------------------------------------------
    @property
    def expiring(self) -> str:
        """Sorted set: disconnected session id -> unix time its grace ends."""
        return f"{self.prefix}:sessions:expiring"

    @property
    def running(self) -> str:
        """Sorted set: session id -> when its worker's lock lapses unless refreshed."""
        return f"{self.prefix}:sessions:running"

    @property
    def running_jobs(self) -> str:
        """Hash: session id -> the arq job draining it, taken off the queue if its worker dies."""
        return f"{self.prefix}:sessions:running:jobs"

    # --- work ------------------------------------------------------------
    @property
    def queue(self) -> str:
        """The arq queue (a sorted set of job ids)."""
        return f"{self.prefix}:queue"

    # --- workers ---------------------------------------------------------
    # The fleet's keys share the hash tag ``{workers}``, so one script writes a beat
    # and its index entry atomically on a future Redis Cluster too.
    def worker_beat(self, worker_id: str) -> str:
        """One worker's heartbeat (JSON): set with a short TTL at each beat, gone when it stops."""
        return f"{self.prefix}:{{workers}}:{worker_id}"

    @property
    def workers(self) -> str:
        """Sorted set indexing the heartbeat keys: worker id -> unix ms its beat lapses."""
        return f"{self.prefix}:{{workers}}"

    @property
    def queue_wake(self) -> str:
        """Pub/sub channel that wakes idle workers right after an enqueue."""
        return f"{self.prefix}:queue:wake"

    @property
    def control(self) -> str:
        """Pub/sub channel for requests every worker hears (stop)."""
        return f"{self.prefix}:control"

    @property
    def app_manifest(self) -> str:
        """What the loaded app defines (callbacks), published by workers."""
        return f"{self.prefix}:app:manifest"

    # --- persistence -----------------------------------------------------
    @property
    def persist_stream(self) -> str:
        return f"{self.prefix}:persist"

    @property
    def persist_dead(self) -> str:
        """Dead-letter stream for entries that failed too often."""
        return f"{self.prefix}:persist:dead"

    # --- auth --------------------------------------------------------------
    def revoked_token(self, token_id: str) -> str:
        """Present while a logged-out token would otherwise still be valid."""
        return f"{self.prefix}:auth:revoked:{token_id}"

    def login_failures(self, scope: str, key: str) -> str:
        """Counter of failed logins per account or client address, for rate limits."""
        return f"{self.prefix}:auth:fail:{scope}:{key}"

    @property
    def revocations(self) -> str:
        """Pub/sub channel announcing revoked token ids, so gateways drop their sockets."""
        return f"{self.prefix}:auth:revocations"

    def user_credentials(self, identifier: str) -> str:
        """A user's current credential version (or a tombstone), cached from the auth database."""
        return f"{self.prefix}:auth:cred:{identifier}"

    def call_reply(self, call_id: str) -> str:
        """List a service blocks on for the reply to an app call."""
        return f"{self.prefix}:call:reply:{call_id}"

    # --- gateways --------------------------------------------------------
    def gateway_wake(self, gateway_id: str) -> str:
        """Stream a gateway reads alongside UI streams to notice new sessions."""
        return f"{self.prefix}:gw:{gateway_id}:wake"

    # --- login memory ------------------------------------------------------
    def login_known(self, account: str, address: str) -> str:
        """Present while an address that signed in to an account is remembered.

        Such an address is exempt from the account-wide failure limit, so failures
        from elsewhere cannot lock the owner out of the places they use.
        """
        return f"{self.prefix}:auth:known:{account}|{address}"
