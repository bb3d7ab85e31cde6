#!/usr/bin/python3
"""A ClickHouse cluster on one machine, to try tunprobe's ClickHouse output
and report (README "Deploying"): N clickhouse-server processes (Debian's
clickhouse-server), each with its own folder, ports and shard of cluster
`trial`, listening on 127.0.0.1 only, with tunprobe's tables on each.

    scripts/clickhouse_trial.py start DIR [--shards 2] [--http-port 18123] [--tcp-port 19000] [--tunprobe build/tunprobe]
    scripts/clickhouse_trial.py stop DIR

`start` prints the URL each probe and the report use; server i answers
HTTP on --http-port + i and the native protocol on --tcp-port + i
(clickhouse-client --port). `stop` ends every server `start` began (by
the PID it wrote, with its process group: the server may fork a
watchdog). Root is not needed. The test servers of tests/clickhouse/ are
configured here too (server_config()).
"""
import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request

SERVER = "/usr/sbin/clickhouse-server"


def server_config(folder, http_port, tcp_port, cluster, shard_tcp_ports):
    """config.xml and users.xml of one server: everything under `folder`,
    127.0.0.1 only, the cluster's shards by their native ports."""
    shards = "".join(f"<shard><replica><host>127.0.0.1</host><port>{p}</port></replica></shard>"
                     for p in shard_tcp_ports)
    f = folder
    config = f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{f}/server.log</log><errorlog>{f}/error.log</errorlog></logger>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
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
  <remote_servers><{cluster}>{shards}</{cluster}></remote_servers>
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
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.xml"), "w") as out:
        out.write(config)
    with open(os.path.join(folder, "users.xml"), "w") as out:
        out.write(users)


def answers(http_port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/?query=SELECT%201", timeout=2) as r:
            return r.read().strip() == b"1"
    except OSError:
        return False


def post(http_port, sql):
    req = urllib.request.Request(f"http://127.0.0.1:{http_port}/", data=sql.encode())
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read().decode()


def start(args):
    if not os.access(SERVER, os.X_OK):
        sys.exit(f"clickhouse_trial.py: {SERVER} not found: apt-get install clickhouse-server clickhouse-client")
    tcp = [args.tcp_port + i for i in range(args.shards)]
    pids = []
    for i in range(args.shards):
        folder = os.path.abspath(os.path.join(args.dir, f"clickhouse{i}"))
        server_config(folder, args.http_port + i, tcp[i], "trial", tcp)
        log = open(os.path.join(folder, "stdout.log"), "ab")
        p = subprocess.Popen([SERVER, f"--config-file={folder}/config.xml"], cwd=folder, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        with open(os.path.join(folder, "pid"), "w") as out:
            out.write(f"{p.pid}\n")
        pids.append(p)
    for i, p in enumerate(pids):
        deadline = time.monotonic() + 60
        while not answers(args.http_port + i):
            if p.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"clickhouse_trial.py: server {i} did not start; see {args.dir}/clickhouse{i}/error.log")
            time.sleep(0.1)
    schema = subprocess.run([args.tunprobe, "clickhouse-schema", "--cluster", "trial"], capture_output=True,
                            text=True, check=True).stdout
    statements = "\n".join(ln for ln in schema.splitlines() if not ln.startswith("--"))
    for i in range(args.shards):
        for stmt in statements.split(";"):
            if stmt.strip():
                post(args.http_port + i, stmt)
    print(f"{args.shards} servers of cluster 'trial' up (PIDs {', '.join(str(p.pid) for p in pids)}), "
          f"tunprobe's tables on each. Probes and the report use:")
    for i in range(args.shards):
        print(f"  clickhouse://127.0.0.1:{args.http_port + i}/tunprobe.flows_all    "
              f"(clickhouse-client --port {tcp[i]})")
    print(f"Stop them with: {sys.argv[0]} stop {args.dir}")


def stop(args):
    stopped = 0
    for name in sorted(os.listdir(args.dir)):
        pid_file = os.path.join(args.dir, name, "pid")
        if not name.startswith("clickhouse") or not os.path.exists(pid_file):
            continue
        pid = int(open(pid_file).read())
        try:
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                os.killpg(pid, 0)
                time.sleep(0.1)
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.remove(pid_file)
        stopped += 1
    print(f"{stopped} server(s) stopped; their data stays in {args.dir}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start the servers and create tunprobe's tables")
    s.add_argument("dir")
    s.add_argument("--shards", type=int, default=2)
    s.add_argument("--http-port", type=int, default=18123)
    s.add_argument("--tcp-port", type=int, default=19000)
    s.add_argument("--tunprobe", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                      "build", "tunprobe"))
    t = sub.add_parser("stop", help="stop the servers start began")
    t.add_argument("dir")
    args = ap.parse_args()
    start(args) if args.cmd == "start" else stop(args)


if __name__ == "__main__":
    main()
