#!/usr/bin/env python3
"""Scripted SMTP servers that fail in chosen ways (Python standard library only).

Each peer listens on one loopback address and port and behaves as told:

  reject-rcpt REPLY   answers RCPT TO with REPLY (e.g. "550 5.1.1 ... User unknown")
  rate-limit REPLY    answers RCPT TO with a 421 REPLY and closes the connection
  silent              accepts the connection and never sends a greeting
  drop-after-rcpt     closes the connection when RCPT TO arrives, without an answer
  starttls CERT KEY [OPTION...]
                      offers STARTTLS and handshakes with this certificate (CERT
                      may hold the chain after it); OPTIONs narrow what it
                      speaks: version=TLSv1 (that version only), ciphers=LIST
                      (an OpenSSL cipher list for TLS 1.2 and older)
  no-starttls         a plain ESMTP server that does not offer STARTTLS
  accept              accepts every message (and counts it)
  sink [DOMAIN=REPLY...]  accepts and keeps every message (peer.stored: envelope
                      sender, recipients, data as received); RCPT TO a listed
                      domain gets that REPLY instead

Every peer counts the connections it accepts and logs when and from where
(peer.connections, peer.connection_log): the diagnosis tests assert on them.

Used in-process by e2e.py (start_peer) or on its own for manual tests:

  smtp_peer.py 127.0.0.12:2525 reject-rcpt "550 5.1.1 User unknown"
"""

import socket
import ssl
import sys
import threading
import time
import warnings

HOSTNAME_SUFFIX = ".peer.test"


class Peer:
    """One listening socket served by a thread; connections get a thread each."""

    def __init__(self, address, port, behaviour, args=(), name=None):
        self.behaviour = behaviour
        self.args = list(args)
        self.name = name or f"mx-{behaviour}{HOSTNAME_SUFFIX}"
        self.connections = 0
        self.connection_log = []  # (time.time(), client address) of every connection accepted
        self.messages = 0
        self.stored = []  # (envelope sender, [recipients], data bytes) for "sink"
        # Made once, so that a wrong certificate or option fails here, not in a session.
        self.tls_context = tls_context(self.args) if behaviour == "starttls" else None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((address, port))
        self._sock.listen(16)
        self.address, self.port = self._sock.getsockname()
        self._stop = threading.Event()
        self._open = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self):
        self._stop.set()
        try:
            self._sock.close()
        except OSError:
            pass
        with self._lock:
            for conn in list(self._open):
                try:
                    conn.close()
                except OSError:
                    pass

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, client = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self.connection_log.append((time.time(), client[0]))
                self._open.add(conn)
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        conn.settimeout(120)
        try:
            Session(self, conn).run()
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with self._lock:
                self._open.discard(conn)
            try:
                conn.close()
            except OSError:
                pass


class Session:
    def __init__(self, peer, conn):
        self.peer = peer
        self.conn = conn
        self.file = conn.makefile("rb")
        self.tls = False
        self.mail_from = None
        self.rcpts = []

    def send(self, line):
        self.conn.sendall(line.encode() + b"\r\n")

    def readline(self):
        line = self.file.readline(4096)
        if not line:
            raise ValueError("connection closed")
        return line.decode("latin-1").rstrip("\r\n")

    def run(self):
        peer = self.peer
        if peer.behaviour == "silent":
            # Never greet; wait until the client gives up and closes.
            while self.conn.recv(4096):
                pass
            return
        self.send(f"220 {peer.name} ESMTP scripted peer")
        while True:
            line = self.readline()
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                extensions = ["SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES"]
                if peer.behaviour == "starttls" and not self.tls:
                    extensions.append("STARTTLS")
                if verb == "HELO":
                    self.send(f"250 {peer.name}")
                else:
                    lines = [peer.name] + extensions
                    for item in lines[:-1]:
                        self.send(f"250-{item}")
                    self.send(f"250 {lines[-1]}")
            elif verb == "STARTTLS" and peer.behaviour == "starttls" and not self.tls:
                self.send("220 2.0.0 Ready to start TLS")
                self.conn = peer.tls_context.wrap_socket(self.conn, server_side=True)
                self.file = self.conn.makefile("rb")
                self.tls = True
            elif verb == "MAIL":
                self.mail_from = line.split(":", 1)[1].strip().split(" ")[0].strip("<>") if ":" in line else ""
                self.rcpts = []
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                if peer.behaviour == "reject-rcpt":
                    self.send(peer.args[0])
                elif peer.behaviour == "rate-limit":
                    self.send(peer.args[0])
                    return
                elif peer.behaviour == "drop-after-rcpt":
                    self.conn.shutdown(socket.SHUT_RDWR)
                    return
                else:
                    rcpt = line.split(":", 1)[1].strip().split(" ")[0].strip("<>") if ":" in line else ""
                    domain = rcpt.rpartition("@")[2].lower()
                    rule = [a.split("=", 1)[1] for a in peer.args if a.split("=", 1)[0].lower() == domain]
                    if peer.behaviour == "sink" and rule:
                        self.send(rule[0])
                    else:
                        self.rcpts.append(rcpt)
                        self.send("250 2.1.5 Ok")
            elif verb == "DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while True:
                    raw = self.file.readline(1 << 20)
                    if not raw:
                        raise ValueError("connection closed in DATA")
                    if raw in (b".\r\n", b".\n"):
                        break
                    data.append(raw[1:] if raw.startswith(b".") else raw)
                peer.messages += 1
                if peer.behaviour == "sink":
                    peer.stored.append((self.mail_from, list(self.rcpts), b"".join(data)))
                self.send("250 2.0.0 Ok: queued")
            elif verb == "RSET" or verb == "NOOP":
                self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("502 5.5.2 Error: command not recognized")


def tls_context(args):
    """The server side of STARTTLS: certificate, key, then the options."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args[0], args[1])
    for option in args[2:]:
        name, _, value = option.partition("=")
        if name == "version":
            with warnings.catch_warnings():  # TLS 1.0 is deprecated: that is the point
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = context.maximum_version = ssl.TLSVersion[value]
        elif name == "ciphers":
            context.set_ciphers(value)
        else:
            raise ValueError(f"unknown starttls option {option}")
    return context


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    host, _, port = argv[1].rpartition(":")
    peer = Peer(host, int(port), argv[2], argv[3:])
    print(f"listening on {peer.address}:{peer.port} ({peer.behaviour})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
