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
import time
import urllib.error
import urllib.parse
import urllib.request

SERVER = "/usr/sbin/clickhouse-server"
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
        shards = "".join(
            f"<shard><replica><host>127.0.0.1</host><port>{o.tcp_port}</port></replica></shard>" for o in self.servers)
        f = s.folder
        config = f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{f}/server.log</log><errorlog>{f}/error.log</errorlog></logger>
  <http_port>{s.http_port}</http_port>
  <tcp_port>{s.tcp_port}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{f}/data/</path>
  <tmp_path>{f}/tmp/</tmp_path>
  <user_files_path>{f}/user_files/</user_files_path>
  <format_schema_path>{f}/format_schemas/</format_schema_path>
  <users_config>{f}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <timezone>UTC</timezone>
  <remote_servers><{CLUSTER}>{shards}</{CLUSTER}></remote_servers>
</yandex>
"""
        users = """<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
"""
        with open(os.path.join(f, "config.xml"), "w") as out:
            out.write(config)
        with open(os.path.join(f, "users.xml"), "w") as out:
            out.write(users)

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
