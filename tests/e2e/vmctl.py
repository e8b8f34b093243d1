#!/usr/bin/env python3
"""Host side of the VM control channel (see guest/ka-agent).

    vmctl.py SOCKET TIMEOUT_SECONDS            runs the bash script read from stdin in the VM
    vmctl.py SOCKET TIMEOUT_SECONDS --ping      exits 0 once the agent answers

Prints the script's combined output and exits with its exit code; 124 on timeout,
125 when the socket cannot be reached.
"""
import base64
import os
import socket
import sys
import time
import uuid


def connect(path, deadline):
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                return None
            time.sleep(0.5)


def run(path, script, timeout, resend_every=None):
    deadline = time.monotonic() + timeout
    s = connect(path, deadline)
    if s is None:
        print(f"vmctl: cannot connect to {path}", file=sys.stderr)
        return 125, b""
    req_id = uuid.uuid4().hex[:12]
    request = f"REQ {req_id} {base64.b64encode(script).decode()}\n".encode()
    # a fresh line first, in case the agent holds half a line from an earlier connection
    s.sendall(b"\n" + request)
    last_send = time.monotonic()
    buf = b""
    prefix = f"RSP {req_id} ".encode()
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return 124, b""
            s.settimeout(min(left, 1.0))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                chunk = None
            if chunk == b"":
                return 125, b""
            if chunk:
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.strip(b"\r\x00 ")
                    idx = line.find(prefix)
                    if idx < 0:
                        continue
                    parts = line[idx:].split(b" ", 3)
                    rc = int(parts[2])
                    out = base64.b64decode(parts[3]) if len(parts) > 3 else b""
                    return rc, out
            # before the agent is up nothing answers: send the request again
            if resend_every and time.monotonic() - last_send > resend_every:
                s.sendall(b"\n" + request)
                last_send = time.monotonic()
    finally:
        s.close()


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, timeout = sys.argv[1], float(sys.argv[2])
    if len(sys.argv) > 3 and sys.argv[3] == "--ping":
        rc, out = run(path, b"hostname", timeout, resend_every=3)
        if rc == 0:
            sys.stdout.write(out.decode(errors="replace") + "\n")
        return rc
    script = sys.stdin.buffer.read()
    rc, out = run(path, script, timeout)
    sys.stdout.buffer.write(out)
    if out and not out.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    if rc == 124:
        print(f"vmctl: no answer within {timeout:.0f} s", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
