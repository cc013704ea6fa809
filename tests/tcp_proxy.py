"""A small TCP proxy that tests put between the app and PostgreSQL to cut the database.

Modes: "forward" passes bytes both ways; "down" ends every connection and resets every
new one (as a stopped server or a refused port would look); "blackhole" accepts
connections and swallows everything, in both directions, on the connections already
open too (as a network cut or a frozen host looks: nothing ever answers).
"""

import socket
import struct
import threading
from contextlib import suppress

HOST = "127.0.0.1"
MODES = ("forward", "down", "blackhole")


def _reset(sock: socket.socket) -> None:
    # Linger 0: close with a TCP reset, as a refused or crashed server does.
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # Shut down first: a pump thread blocked reading this socket keeps it open past
    # close() until its read returns, so the peer (PostgreSQL's backend, too) was told
    # nothing and stayed connected; a hundred cuts used up the server's connections.
    # The peer now sees the connection end (an end of file, then the reset).
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = "forward"
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener = socket.create_server((HOST, 0))
        self.host, self.port = HOST, self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def set_mode(self, mode: str) -> None:
        """Switch mode. Leaving "forward" for "down", or leaving "blackhole", resets every
        open connection (what a swallowed byte stream is good for after that is nothing)."""
        assert mode in MODES
        with self._lock:
            previous, self.mode = self.mode, mode
            if mode == "down" or previous == "blackhole":
                for sock in self._open:
                    _reset(sock)
                self._open.clear()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.set_mode("down")

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self.mode
                if mode == "down":
                    _reset(client)
                    continue
                self._open.append(client)
            if mode == "blackhole":
                threading.Thread(target=self._pump, args=(client, None), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._open.append(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket | None) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                if dst is not None and self.mode == "forward":
                    dst.sendall(data)
                # otherwise swallowed: nothing ever answers
        # One side ended: end the other, so neither waits for ever.
        for sock in (src, dst):
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
