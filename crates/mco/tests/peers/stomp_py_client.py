#!/usr/bin/env python3
"""Interoperability checks for a STOMP broker, driven by stomp.py (python3-stomp).

Usage: stomp_py_client.py HOST PORT LOGIN PASSCODE VERSION [TAG]

VERSION is 1.0, 1.1 or 1.2.  TAG (optional) makes the destination names unique so
several runs can share one broker.  Destinations live under "mcollective." so the
script also works against an ActiveMQ configured with the MCollective authorization
map.

Prints one line per check ("ok <name>" or "FAIL <name>: <why>") and exits 1 if any
check failed, 2 on a usage error.
"""

import os
import sys
import threading
import time
import traceback

import stomp
from stomp.exception import ConnectFailedException

WAIT = 5.0  # seconds to wait for any expected frame
QUIET = 0.7  # seconds to wait to be sure that nothing (more) arrives


class Recorder(stomp.ConnectionListener):
    """Records every frame a connection receives."""

    def __init__(self):
        self.cond = threading.Condition()
        self.messages = []
        self.receipts = []
        self.errors = []
        self.heartbeats = 0
        self.connected = None
        self.disconnected = False

    def _add(self, what, item):
        with self.cond:
            what.append(item)
            self.cond.notify_all()

    def on_connected(self, frame):
        with self.cond:
            self.connected = frame
            self.cond.notify_all()

    def on_message(self, frame):
        self._add(self.messages, frame)

    def on_receipt(self, frame):
        self._add(self.receipts, frame.headers.get("receipt-id"))

    def on_error(self, frame):
        self._add(self.errors, frame)

    def on_heartbeat(self):
        with self.cond:
            self.heartbeats += 1
            self.cond.notify_all()

    def on_disconnected(self):
        with self.cond:
            self.disconnected = True
            self.cond.notify_all()

    def wait_for(self, pred, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def wait_messages(self, n, timeout=WAIT):
        self.wait_for(lambda: len(self.messages) >= n, timeout)
        with self.cond:
            return list(self.messages)

    def wait_receipt(self, rid, timeout=WAIT):
        return self.wait_for(lambda: rid in self.receipts, timeout)

    def take_messages(self):
        with self.cond:
            out = list(self.messages)
            self.messages.clear()
            return out


class Checks:
    def __init__(self, host, port, login, passcode, version, tag):
        self.host, self.port = host, port
        self.login, self.passcode = login, passcode
        self.version = version
        self.tag = tag
        self.failures = 0
        self.conns = []
        self.sub_seq = 0
        self.rcpt_seq = 0

    # ---- helpers -------------------------------------------------------------

    def dest(self, kind, name):
        return "/%s/mcollective.interop.%s.%s" % (kind, self.tag, name)

    def connect(self, heartbeats=(0, 0), passcode=None, wait=True):
        hp = [(self.host, self.port)]
        common = dict(reconnect_attempts_max=1, auto_decode=False)
        if self.version == "1.0":
            conn = stomp.Connection10(hp, **common)
        elif self.version == "1.1":
            conn = stomp.Connection11(hp, heartbeats=heartbeats, vhost="mcollective", **common)
        else:
            conn = stomp.Connection12(hp, heartbeats=heartbeats, vhost="mcollective", **common)
        rec = Recorder()
        conn.set_listener("recorder", rec)
        self.conns.append(conn)
        conn.connect(self.login, self.passcode if passcode is None else passcode, wait=wait)
        # wait_for_connection() returns before the listeners have seen CONNECTED
        if wait and not rec.wait_for(lambda: rec.connected is not None):
            raise AssertionError("connected, but the CONNECTED frame never reached the listener")
        return conn, rec

    def next_receipt(self):
        self.rcpt_seq += 1
        return "r-%s-%d" % (self.tag, self.rcpt_seq)

    def subscribe(self, conn, rec, destination, selector=None, ack="auto"):
        """Subscribes with a receipt and waits for it, so the subscription is active."""
        self.sub_seq += 1
        sid = "s%d" % self.sub_seq
        rid = self.next_receipt()
        headers = {"receipt": rid}
        if selector is not None:
            headers["selector"] = selector
        conn.subscribe(destination, id=sid, ack=ack, headers=headers)
        if not rec.wait_receipt(rid):
            raise AssertionError("no RECEIPT for SUBSCRIBE to %s (receipt %s)" % (destination, rid))
        return sid

    def send(self, conn, rec, destination, body, headers=None, receipt=True):
        h = dict(headers or {})
        rid = None
        if receipt:
            rid = self.next_receipt()
            h["receipt"] = rid
        conn.send(destination, body, headers=h)
        if receipt and not rec.wait_receipt(rid):
            raise AssertionError("no RECEIPT for SEND to %s (receipt %s)" % (destination, rid))

    def check(self, name, fn):
        try:
            detail = fn()
            print("ok %s%s" % (name, (": " + detail) if detail else ""), flush=True)
        except Exception as e:  # report and keep going
            self.failures += 1
            msg = str(e) or e.__class__.__name__
            main = getattr(self, "main", None)
            if main is not None and main[1].errors:
                msg += " [broker ERROR frames: %s]" % "; ".join(
                    "%s %r" % (f.headers.get("message"), f.body) for f in main[1].errors)
                main[1].errors.clear()
            print("FAIL %s: %s" % (name, msg), flush=True)
            if os.environ.get("INTEROP_DEBUG"):
                traceback.print_exc()
            # Keep the remaining checks meaningful if the broker dropped the shared connection.
            main = getattr(self, "main", None)
            if main is not None and not main[0].is_connected():
                try:
                    self.main = self.connect()
                    print("note: the broker closed the shared connection; reconnected", flush=True)
                except Exception as e2:
                    print("note: the broker closed the shared connection; reconnect failed: %s" % e2, flush=True)

    def close_all(self):
        for c in self.conns:
            try:
                if c.is_connected():
                    c.disconnect()
            except Exception:
                pass

    # ---- checks ----------------------------------------------------------------

    def check_connect(self):
        conn, rec = self.connect()
        frame = rec.connected
        if frame is None:
            raise AssertionError("no CONNECTED frame")
        v = frame.headers.get("version")
        if self.version == "1.0":
            if v not in (None, "1.0"):
                raise AssertionError("1.0 CONNECT answered with version:%s" % v)
        elif v != self.version:
            raise AssertionError("asked for %s, CONNECTED says version:%s" % (self.version, v))
        self.main = (conn, rec)
        return "version=%s server=%s" % (v, frame.headers.get("server"))

    def check_topic_fanout(self):
        a, ra = self.main
        b, rb = self.connect()
        d = self.dest("topic", "fanout")
        self.subscribe(a, ra, d)
        self.subscribe(b, rb, d)
        ra.take_messages()
        self.send(b, rb, d, b"hello topic", headers={"mc_sender": "py"})
        for who, rec in (("first", ra), ("second", rb)):
            msgs = rec.wait_messages(1)
            if len(msgs) != 1:
                raise AssertionError("%s subscriber got %d messages, want 1" % (who, len(msgs)))
            m = msgs[0]
            if m.body != b"hello topic":
                raise AssertionError("%s subscriber got body %r" % (who, m.body))
            if m.headers.get("destination") != d:
                raise AssertionError("destination header %r, want %r" % (m.headers.get("destination"), d))
            if not m.headers.get("message-id"):
                raise AssertionError("MESSAGE without message-id")
            if m.headers.get("mc_sender") != "py":
                raise AssertionError("custom header mc_sender not passed through: %r" % m.headers)
            if self.version != "1.0" and not m.headers.get("subscription"):
                raise AssertionError("MESSAGE without subscription header on %s" % self.version)
        time.sleep(QUIET)
        extra = ra.take_messages() + rb.take_messages()
        if len(extra) != 2:
            raise AssertionError("duplicate deliveries: %d messages in total, want 2" % len(extra))
        b.disconnect()
        return None

    def check_queue_binary_body(self):
        conn, rec = self.main
        d = self.dest("queue", "binary")
        sid = self.subscribe(conn, rec, d)
        body = b"before\x00after\x00\xff\x01end"
        self.send(conn, rec, d, body, headers={"mc_identity": "x", "content-type": "application/octet-stream"})
        msgs = rec.wait_messages(1)
        if len(msgs) != 1:
            raise AssertionError("got %d messages, want 1" % len(msgs))
        m = msgs[0]
        if m.body != body:
            raise AssertionError("body %r, want %r" % (m.body, body))
        cl = m.headers.get("content-length")
        if cl != str(len(body)):
            raise AssertionError("content-length %r, want %d" % (cl, len(body)))
        if self.version != "1.0" and m.headers.get("subscription") != sid:
            raise AssertionError("subscription header %r, want %r" % (m.headers.get("subscription"), sid))
        rec.take_messages()
        return "%d bytes with NULs intact" % len(body)

    def check_unsubscribe(self):
        conn, rec = self.main
        d = self.dest("queue", "unsub")
        sid = self.subscribe(conn, rec, d)
        rid = self.next_receipt()
        if self.version == "1.0":
            # STOMP 1.0: UNSUBSCRIBE names the destination (the subscription had an id too)
            conn.unsubscribe(destination=d, headers={"receipt": rid})
        else:
            conn.unsubscribe(id=sid, headers={"receipt": rid})
        if not rec.wait_receipt(rid):
            raise AssertionError("no RECEIPT for UNSUBSCRIBE")
        self.send(conn, rec, d, b"nobody listens")
        time.sleep(QUIET)
        got = [m.body for m in rec.take_messages()]
        if got:
            raise AssertionError("delivered after UNSUBSCRIBE: %r" % got)
        return None

    def check_queue_holds_and_round_robin(self):
        conn, rec = self.main
        d = self.dest("queue", "rr")
        # Sent before any consumer exists: the queue must hold it.
        self.send(conn, rec, d, b"held", headers={"n": "0"})
        b, rb = self.connect()
        self.subscribe(b, rb, d)
        msgs = rb.wait_messages(1)
        if [m.body for m in msgs] != [b"held"]:
            raise AssertionError("held message: consumer got %r" % [m.body for m in msgs])
        rb.take_messages()
        c, rc = self.connect()
        self.subscribe(c, rc, d)
        n = 6
        for i in range(1, n + 1):
            self.send(conn, rec, d, b"m%d" % i, headers={"n": str(i)})
        rb.wait_for(lambda: len(rb.messages) + len(rc.messages) >= n)
        time.sleep(QUIET)
        got_b = [m.body for m in rb.take_messages()]
        got_c = [m.body for m in rc.take_messages()]
        all_got = sorted(got_b + got_c)
        want = sorted(b"m%d" % i for i in range(1, n + 1))
        if all_got != want:
            raise AssertionError("queue delivered %r / %r, want each of %r exactly once" % (got_b, got_c, want))
        if not got_b or not got_c:
            raise AssertionError("no round robin: consumers got %d and %d messages" % (len(got_b), len(got_c)))
        b.disconnect()
        c.disconnect()
        return "held 1, then split %d/%d" % (len(got_b), len(got_c))

    def check_selector_identity(self):
        conn, rec = self.main
        d = self.dest("queue", "nodes")
        n1, r1 = self.connect()
        n2, r2 = self.connect()
        self.subscribe(n1, r1, d, selector="mc_identity = 'node1'")
        self.subscribe(n2, r2, d, selector="mc_identity = 'node2'")
        self.send(conn, rec, d, b"for node1", headers={"mc_identity": "node1"})
        self.send(conn, rec, d, b"for node2", headers={"mc_identity": "node2"})
        self.send(conn, rec, d, b"for node3", headers={"mc_identity": "node3"})
        r1.wait_messages(1)
        r2.wait_messages(1)
        time.sleep(QUIET)
        g1 = [m.body for m in r1.take_messages()]
        g2 = [m.body for m in r2.take_messages()]
        if g1 != [b"for node1"] or g2 != [b"for node2"]:
            raise AssertionError("node1 got %r, node2 got %r" % (g1, g2))
        # The message for node3 matched nobody: it must be held until node3 subscribes.
        n3, r3 = self.connect()
        self.subscribe(n3, r3, d, selector="mc_identity = 'node3'")
        g3 = [m.body for m in r3.wait_messages(1)]
        if g3 != [b"for node3"]:
            raise AssertionError("late node3 consumer got %r, want the held message" % g3)
        m3 = r3.messages[0]
        if m3.headers.get("mc_identity") != "node3":
            raise AssertionError("mc_identity header not delivered: %r" % m3.headers)
        for c in (n1, n2, n3):
            c.disconnect()
        return None

    def check_selector_compound(self):
        conn, rec = self.main
        d = self.dest("topic", "compound")
        sel = ("(mc_identity = 'node1' OR mc_identity IN ('node7', 'node8')) "
               "AND role LIKE 'w_b%' AND NOT (country = 'fr') AND country <> 'xx' "
               "AND missing IS NULL AND role IS NOT NULL")
        s, rs = self.connect()
        self.subscribe(s, rs, d, selector=sel)
        cases = [
            ({"mc_identity": "node1", "role": "web", "country": "uk"}, True),
            ({"mc_identity": "node8", "role": "webserver", "country": "de"}, True),
            ({"mc_identity": "node2", "role": "web", "country": "uk"}, False),  # not in set
            ({"mc_identity": "node7", "role": "db", "country": "uk"}, False),  # LIKE fails
            ({"mc_identity": "node1", "role": "web", "country": "fr"}, False),  # NOT fails
            ({"mc_identity": "node1", "role": "web", "country": "xx"}, False),  # <> fails
            ({"mc_identity": "node1", "role": "web", "country": "uk", "missing": "x"}, False),
            ({"mc_identity": "node7", "country": "uk"}, False),  # role absent
        ]
        want = []
        for i, (h, match) in enumerate(cases):
            body = b"case%d" % i
            self.send(conn, rec, d, body, headers=h)
            if match:
                want.append(body)
        rs.wait_messages(len(want))
        time.sleep(QUIET)
        got = [m.body for m in rs.take_messages()]
        if got != want:
            raise AssertionError("selector %r delivered %r, want %r" % (sel, got, want))
        s.disconnect()
        return "%d of %d messages matched" % (len(want), len(cases))

    def check_receipts(self):
        conn, rec = self.main
        d = self.dest("queue", "receipts")
        rid = self.next_receipt()
        conn.subscribe(d, id="receipt-sub", headers={"receipt": rid})
        if not rec.wait_receipt(rid):
            raise AssertionError("no RECEIPT for SUBSCRIBE")
        rid2 = self.next_receipt()
        conn.send(d, b"with receipt", headers={"receipt": rid2})
        if not rec.wait_receipt(rid2):
            raise AssertionError("no RECEIPT for SEND")
        msgs = rec.wait_messages(1)
        if [m.body for m in msgs] != [b"with receipt"]:
            raise AssertionError("got %r" % [m.body for m in msgs])
        rec.take_messages()
        return "SUBSCRIBE %s, SEND %s" % (rid, rid2)

    def check_transaction(self):
        conn, rec = self.main
        d = self.dest("queue", "tx")
        self.subscribe(conn, rec, d)
        tx = conn.begin()
        conn.send(d, b"aborted", headers={"transaction": tx})
        conn.abort(tx)
        tx = conn.begin()
        conn.send(d, b"committed", headers={"transaction": tx})
        time.sleep(0.3)
        early = [m.body for m in rec.take_messages()]
        if early:
            raise AssertionError("message delivered before COMMIT: %r" % early)
        conn.commit(tx)
        rec.wait_messages(1)
        time.sleep(QUIET)
        got = [m.body for m in rec.take_messages()]
        if got != [b"committed"]:
            raise AssertionError("got %r, want only the committed message" % got)
        return None

    def check_heartbeats(self):
        if self.version == "1.0":
            return "skipped (STOMP 1.0 has no heart-beats)"
        conn, rec = self.connect(heartbeats=(1000, 1000))
        hb = rec.connected.headers.get("heart-beat")
        if not hb:
            raise AssertionError("CONNECTED has no heart-beat header")
        sx, sy = (int(x) for x in hb.split(","))
        if sx == 0:
            raise AssertionError("broker will not send heart-beats (heart-beat:%s)" % hb)
        if sy == 0:
            raise AssertionError("broker does not want client heart-beats (heart-beat:%s)" % hb)
        time.sleep(3.2)
        if not conn.is_connected():
            raise AssertionError("connection dropped while idle with heart-beats on")
        expect = int(3.2 * 1000 / max(sx, 1000)) - 1
        if rec.heartbeats < max(expect, 1):
            raise AssertionError("only %d heart-beats from the broker in 3.2 s (heart-beat:%s)" % (rec.heartbeats, hb))
        d = self.dest("queue", "hb")
        self.subscribe(conn, rec, d)
        self.send(conn, rec, d, b"after idle")
        if [m.body for m in rec.wait_messages(1)] != [b"after idle"]:
            raise AssertionError("connection not usable after idling")
        conn.disconnect()
        return "heart-beat:%s, %d broker heart-beats in 3.2 s" % (hb, rec.heartbeats)

    def check_wrong_password(self):
        try:
            conn, rec = self.connect(passcode=self.passcode + "-wrong")
        except ConnectFailedException:
            conn = self.conns[-1]
            rec = conn.get_listener("recorder")
            if not rec.errors:
                rec.wait_for(lambda: rec.errors, 2.0)
            if not rec.errors:
                raise AssertionError("connection refused without an ERROR frame")
            # The broker must close the connection after the ERROR.
            if not rec.wait_for(lambda: rec.disconnected, WAIT):
                raise AssertionError("broker kept the connection open after the ERROR")
            msg = rec.errors[0].headers.get("message", "")
            return "ERROR message:%s" % msg
        raise AssertionError("CONNECT with a wrong passcode was accepted")

    def check_header_escaping(self):
        conn, rec = self.main
        d = self.dest("queue", "escape")
        self.subscribe(conn, rec, d)
        value = "a:b" if self.version == "1.0" else "colon:a back\\slash new\nline"
        self.send(conn, rec, d, b"esc", headers={"x_odd": value})
        msgs = rec.wait_messages(1)
        if len(msgs) != 1:
            raise AssertionError("got %d messages, want 1" % len(msgs))
        got = msgs[0].headers.get("x_odd")
        rec.take_messages()
        if got != value:
            raise AssertionError("header value %r came back as %r" % (value, got))
        return None

    def check_large_body(self):
        conn, rec = self.main
        d = self.dest("queue", "large")
        self.subscribe(conn, rec, d)
        body = bytes(range(256)) * 1024  # 256 KiB, every byte value, NULs included
        self.send(conn, rec, d, body)
        msgs = rec.wait_messages(1, timeout=10)
        rec.take_messages()
        if len(msgs) != 1 or msgs[0].body != body:
            raise AssertionError("large body not delivered intact (%s)" % [len(m.body) for m in msgs])
        return "%d bytes" % len(body)

    def check_expires(self):
        conn, rec = self.main
        d = self.dest("queue", "expires")
        now_ms = int(time.time() * 1000)
        self.send(conn, rec, d, b"expired", headers={"expires": str(now_ms - 60000)})
        self.send(conn, rec, d, b"fresh", headers={"expires": str(now_ms + 60000)})
        self.subscribe(conn, rec, d)
        rec.wait_messages(1)
        time.sleep(QUIET)
        got = [m.body for m in rec.take_messages()]
        if got != [b"fresh"]:
            raise AssertionError("got %r, want only the unexpired message" % got)
        return None

    def check_client_ack_redelivery(self):
        d = self.dest("queue", "ack")
        a, ra = self.connect()
        mode = "client-individual" if self.version != "1.0" else "client"
        self.subscribe(a, ra, d, ack=mode)
        self.send(a, ra, d, b"one")
        self.send(a, ra, d, b"two")
        msgs = ra.wait_messages(2)
        if [m.body for m in msgs] != [b"one", b"two"]:
            raise AssertionError("got %r" % [m.body for m in msgs])
        first = msgs[0]
        rid = self.next_receipt()
        if self.version == "1.0":
            # client mode acks cumulatively; ack only the first
            a.ack(first.headers["message-id"], receipt=rid)
        elif self.version == "1.1":
            a.ack(first.headers["message-id"], first.headers["subscription"], receipt=rid)
        else:
            a.ack(first.headers["ack"], receipt=rid)
        if not ra.wait_receipt(rid):
            raise AssertionError("no RECEIPT for ACK")
        a.disconnect()
        # "two" was never acknowledged: the broker must hand it to the next consumer.
        b, rb = self.connect()
        self.subscribe(b, rb, d)
        rb.wait_messages(1)
        time.sleep(QUIET)
        got = [m.body for m in rb.take_messages()]
        b.disconnect()
        if got != [b"two"]:
            raise AssertionError("after disconnect the next consumer got %r, want the unacked [b'two']" % got)
        return "ack mode %s" % mode

    def run(self):
        self.check("connect", self.check_connect)
        if not hasattr(self, "main"):
            return
        self.check("topic fan-out", self.check_topic_fanout)
        self.check("queue binary body", self.check_queue_binary_body)
        self.check("unsubscribe", self.check_unsubscribe)
        self.check("queue holds and round-robin", self.check_queue_holds_and_round_robin)
        self.check("selector mc_identity", self.check_selector_identity)
        self.check("selector compound", self.check_selector_compound)
        self.check("receipts", self.check_receipts)
        self.check("transaction", self.check_transaction)
        self.check("header escaping", self.check_header_escaping)
        self.check("large body", self.check_large_body)
        self.check("expires", self.check_expires)
        self.check("client ack redelivery", self.check_client_ack_redelivery)
        self.check("heart-beats", self.check_heartbeats)
        self.check("wrong password", self.check_wrong_password)
        self.check("disconnect", self.check_disconnect)

    def check_disconnect(self):
        conn, rec = self.main
        rid = self.next_receipt()
        conn.disconnect(receipt=rid)
        # stomp.py marks the connection closed before its listeners see the RECEIPT
        if not rec.wait_receipt(rid):
            raise AssertionError("no RECEIPT for DISCONNECT")
        return None


def main():
    if len(sys.argv) not in (6, 7):
        print(__doc__, file=sys.stderr)
        return 2
    host, port, login, passcode, version = sys.argv[1:6]
    if version not in ("1.0", "1.1", "1.2"):
        print("unknown STOMP version %r" % version, file=sys.stderr)
        return 2
    tag = sys.argv[6] if len(sys.argv) == 7 else "py%s_%d" % (version.replace(".", ""), os.getpid())
    checks = Checks(host, int(port), login, passcode, version, tag)
    print("stomp.py %s, STOMP %s, %s:%s" % (".".join(map(str, stomp.__version__)), version, host, port), flush=True)
    try:
        checks.run()
    finally:
        checks.close_all()
    if checks.failures:
        print("%d check(s) failed" % checks.failures, flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
