"""Real ClickHouse servers for the tests (Debian's clickhouse-server 18.16).

    servers = Cluster(work, shards=2)   # started, each on its own ports
    servers.query(0, "SELECT 1")        # over HTTP to server 0
    servers.kill(1); servers.start(1)   # a server killed and started again
    servers.stop()                      # every process this module started

Each server has its own new folder under `work` (config, data, logs), listens
on 127.0.0.1 only, on ports the kernel picked, and knows cluster
`tunprobe_test`: one shard per server. Every process is started in its own
session and stopped by its PID; the server may fork a watchdog, so the
whole session (process group) is signalled and waited for.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "scripts"))
import clickhouse_trial  # noqa: E402  (scripts/clickhouse_trial.py: the servers' configuration)

SERVER = clickhouse_trial.SERVER
CLUSTER = "tunprobe_test"


class ServerError(Exception):
    pass


def free_tcp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, folder, http_port, tcp_port):
        self.folder, self.http_port, self.tcp_port = folder, http_port, tcp_port
        self.proc = None


class Cluster:
    def __init__(self, work, shards=1):
        self.work = work
        self.servers = []
        for i in range(shards):
            folder = os.path.join(work, f"clickhouse{i}")
            shutil.rmtree(folder, ignore_errors=True)  # a new server: no rows of an earlier run
            os.makedirs(folder)
            self.servers.append(Server(folder, free_tcp_port(), free_tcp_port()))
        for i in range(shards):
            self._configure(i)
            self.start(i)

    def _configure(self, i):
        s = self.servers[i]
        clickhouse_trial.server_config(s.folder, s.http_port, s.tcp_port, CLUSTER, [o.tcp_port for o in self.servers])

    def start(self, i, timeout=60):
        s = self.servers[i]
        log = open(os.path.join(s.folder, "stdout.log"), "ab")
        s.proc = subprocess.Popen([SERVER, f"--config-file={s.folder}/config.xml"], cwd=s.folder, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if s.proc.poll() is not None:
                raise ServerError(f"clickhouse-server {i} exited with {s.proc.returncode}; see {s.folder}/error.log")
            try:
                if self.query(i, "SELECT 1", timeout=2).strip() == "1":
                    return
            except (OSError, ServerError):
                pass
            time.sleep(0.1)
        raise ServerError(f"clickhouse-server {i} did not answer on port {s.http_port} within {timeout} s")

    def _signal(self, i, sig, timeout):
        s = self.servers[i]
        if s.proc is None:
            return
        try:
            os.killpg(s.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            s.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(s.proc.pid, signal.SIGKILL)
            s.proc.wait()
        # The watchdog's child, if any, is in the same group: gone too.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(s.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        s.proc = None

    def kill(self, i):
        """SIGKILL: the server dies mid-whatever, as in a crash."""
        self._signal(i, signal.SIGKILL, 10)

    def stop(self):
        for i in range(len(self.servers)):
            self._signal(i, signal.SIGTERM, 20)

    def url(self, i):
        return f"127.0.0.1:{self.servers[i].http_port}"

    def query(self, i, sql, data=None, timeout=120):
        """The server's answer to `sql` (HTTP interface); raises ServerError with
        the server's message when it refuses."""
        # POST: a GET is read-only on ClickHouse's HTTP interface.
        if data is None:
            url, body = f"http://{self.url(i)}/", sql.encode()
        else:
            url = f"http://{self.url(i)}/?" + urllib.parse.urlencode({"query": sql})
            body = data.encode() if isinstance(data, str) else data
        req = urllib.request.Request(url, data=body)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            raise ServerError(f"server {i}: {sql[:80]}: {e.read().decode(errors='replace').strip()[:400]}")

    def script(self, i, sql):
        """Runs several ';'-separated statements (comments allowed)."""
        lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
        for stmt in "\n".join(lines).split(";"):
            if stmt.strip():
                self.query(i, stmt)
