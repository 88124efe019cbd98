"""A client of socklab-bench's control protocol (bench/remote/protocol.hpp, version 2) written from
the protocol's description, step by step, so that a test can put an intruder between the steps: the
server's "ready" names the data port, and the data phase starts only when the test says so.

As a program, for the two ends inside network namespaces: `python3 -m bench.tests.remote_client
client --server HOST:PORT --family F --size N --count K [--key FILE]` prints {"port": P} once the
server is ready, waits for a line on stdin, runs the data phase and prints {"result": ...,
"echoes": E}; `... intruder --server HOST:DATA_PORT ...` connects to the data port (TCP) and prints
{"closed": bool}, or sends datagrams, prints {"sent": N}, waits for a line and prints {"echoes": E}."""
import argparse
import hashlib
import hmac
import json
import os
import socket
import struct
import sys

LIMIT = 10  # seconds: the bound on any one socket call here


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def message(type_, **fields):
    return frame(json.dumps({"version": 2, "type": type_, **fields}).encode())


def proof(key, role, client_nonce, server_nonce):
    """The handshake's HMAC-SHA256 (bench/remote/handshake.hpp), as hex."""
    data = f"socklab-bench v2 {role}\n{client_nonce}\n{server_nonce}".encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def read_key(path):
    with open(path, "rb") as f:
        return f.read().rstrip(b"\r\n")


class Control:
    """One control connection from `source` (a host to bind, or None)."""

    def __init__(self, host, port, source=None):
        self.host, self.port, self.source = host, port, source
        self.sock = socket.create_connection((host, port), timeout=LIMIT,
                                             source_address=(source, 0) if source else None)
        self.nonce = self.sent_proof = None

    def close(self):
        self.sock.close()

    def send(self, type_, **fields):
        self.sock.sendall(message(type_, **fields))

    def send_raw(self, data):
        self.sock.sendall(data)

    def receive(self):
        """The next message, or None when the server closed the connection (an end of file, or a
        reset: a close with unread bytes sends one)."""
        try:
            header = self.sock.recv(4, socket.MSG_WAITALL)
            if len(header) < 4:
                return None
            (n,) = struct.unpack(">I", header)
            body = self.sock.recv(n, socket.MSG_WAITALL)
        except ConnectionResetError:
            return None
        return json.loads(body) if len(body) == n else None

    def hello(self, nonce=None):
        self.nonce = nonce or os.urandom(32).hex()
        self.send("hello", context={}, nonce=self.nonce)
        return self.receive()

    def authenticate(self, key, server_hello):
        """The client's proof for this connection's nonces; the server's reply (welcome or error)."""
        self.sent_proof = proof(key, "client", self.nonce, server_hello["nonce"])
        self.send("auth", proof=self.sent_proof)
        return self.receive()

    def start(self, family, size, duration_s=5.0, **fields):
        """Asks for a test; for a datagram test, first binds the data socket whose port it announces.
        Returns (server's reply, the datagram socket or None)."""
        dgram = None
        if family.startswith("udp_"):
            dgram = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            dgram.settimeout(LIMIT)
            dgram.bind((self.sock.getsockname()[0], 0))
            fields.setdefault("data_port", dgram.getsockname()[1])
        self.send("test", family=family, size=size, duration_s=duration_s, **fields)
        return self.receive(), dgram

    def stream(self, data_port, payload):
        """Sends `payload` over a data connection and returns the server's result."""
        with socket.create_connection((self.host, data_port), timeout=LIMIT,
                                      source_address=(self.sock.getsockname()[0], 0)) as data:
            data.sendall(payload)
            data.shutdown(socket.SHUT_WR)
        return self.receive()

    def datagrams(self, dgram, data_port, size, count, echoed):
        """Sends `count` datagrams (waiting for each echo when `echoed`), then "done"; returns
        (the server's result, echoes received)."""
        echoes = 0
        try:
            dgram.connect((self.host, data_port))
            for _ in range(count):
                dgram.send(b"d" * size)
                if echoed:
                    echoes += len(dgram.recv(size + 1)) == size
        finally:
            dgram.close()
        self.send("done", sent=count)
        return self.receive(), echoes


class Intruder:
    """A third party from `source`: a connection to the data port that sends bytes, or datagrams
    to it; it reports whether the server served it."""

    def __init__(self, host, port, source=None):
        self.target = (host, port)
        self.source = (source, 0) if source else ("", 0)

    def connect(self):
        """Connects and sends; True when the server then closed the connection unread (EOF or
        reset), False when it kept it open for LIMIT seconds."""
        with socket.create_connection(self.target, timeout=LIMIT, source_address=self.source) as s:
            try:
                s.sendall(b"x" * 1000)
                return s.recv(1) == b""
            except ConnectionResetError:
                return True
            except socket.timeout:
                return False

    def send_datagrams(self, count, size):
        """Sends `count` datagrams from a socket kept open to catch echoes (see echoes())."""
        self.dgram = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.dgram.bind(self.source)
        for _ in range(count):
            self.dgram.sendto(b"i" * size, self.target)

    def echoes(self):
        """How many datagrams came back, without waiting: call it once the server has sent its
        result, which it does after handling every datagram that reached it."""
        self.dgram.setblocking(False)
        n = 0
        try:
            while self.dgram.recv(65536):
                n += 1
        except BlockingIOError:
            pass
        self.dgram.close()
        return n


def run_client(args):
    host, port = args.server.rsplit(":", 1)
    control = Control(host, int(port))
    try:
        hello = control.hello()
        if args.key:
            control.authenticate(read_key(args.key), hello)
        ready, dgram = control.start(args.family, args.size)
        print(json.dumps({"port": ready["port"]}), flush=True)
        sys.stdin.readline()  # the test's intruder has had its go
        if dgram is None:
            result, echoes = control.stream(ready["port"], b"s" * (args.size * args.count)), None
        else:
            result, echoes = control.datagrams(dgram, ready["port"], args.size, args.count,
                                               echoed=args.family == "udp_pingpong")
        control.send("bye")
        print(json.dumps({"result": result, "echoes": echoes}), flush=True)
    finally:
        control.close()


def run_intruder(args):
    host, port = args.server.rsplit(":", 1)
    intruder = Intruder(host, int(port))
    if args.family.startswith("tcp_"):
        print(json.dumps({"closed": intruder.connect()}), flush=True)
        return
    intruder.send_datagrams(args.count, args.size)
    print(json.dumps({"sent": args.count}), flush=True)
    sys.stdin.readline()  # the client's test is over
    print(json.dumps({"echoes": intruder.echoes()}), flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(prog="remote_client")
    p.add_argument("role", choices=("client", "intruder"))
    p.add_argument("--server", required=True, help="HOST:PORT: the control port (client), the data port (intruder)")
    p.add_argument("--family", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--key")
    args = p.parse_args(argv)
    (run_client if args.role == "client" else run_intruder)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
