#!/usr/bin/python3
"""The service as shipped: what `meson install` puts in a scratch root, the
systemd unit verified there, and a run of the shipped configuration that
drops privileges as the service does.

    check_service.py TUNPROBE BUILD_DIR SOURCE_ROOT IPFIX_READ GEN_SCRIPT WORKDIR

  * `meson install --destdir ROOT` installs every path the unit names: the
    binary of ExecStart, the configuration directory of --config (with the
    example as span0.conf.example), the README of Documentation=, and the
    sysusers.d and tmpfiles.d files, byte for byte the files in scripts/;
    and the five manual pages and the IPFIX element files;
  * `systemd-analyze verify --root=ROOT tunprobe@span0.service` passes, and
    fails (naming the binary) once the binary is gone: the check can fail;
  * `systemd-sysusers --root=ROOT` makes the tunprobe user (home
    /var/lib/tunprobe, no login shell) and `systemd-tmpfiles --root=ROOT
    --create` its state directory (0750, owned by that user);
  * the installed example, with only its HOST-SPECIFIC lines replaced (a
    capture for the NIC, no EAL line, 2 workers, nfcapd on 127.0.0.1 for
    the collector) and its /var/lib/tunprobe in a scratch directory owned
    by the drop user as tmpfiles.d makes it: the run starts as root, drops
    to `nobody` (the tunprobe user exists only in ROOT), exits 0, and every
    flow of the capture reaches nfcapd and the hourly IPFIX archive, whose
    files and --stats-json belong to the drop user;
  * the set-up as first shipped (a state directory that root owns) stops at
    start with one line naming the output, the user, the directory's owner
    and mode, exit status 2, nothing written; so do a --stats-json file in
    a directory the user cannot write and a capture only root can read.

Not root: the privilege drop cannot be tried, and the run goes without the
`user` line (said on stdout).
"""
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ipfix"))
from ipfix_common import (Fail, Nfcapd, check, free_port, generate_traffic, ipfix_read, main_wrapper,  # noqa: E402
                          nfdump_json, run)

DROP_USER = "nobody"


def installed_files(build):
    r = run(["meson", "introspect", build, "--installed"])
    check(r.returncode == 0, f"meson introspect --installed: {r.stderr.strip()}")
    return set(json.loads(r.stdout).values())


def unit_settings(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k, []).append(v)
    return out


def in_root(root, path):
    return os.path.join(root, path.lstrip("/"))


def check_install(build, src, root):
    """The installed tree against what the unit names. Returns (unit path,
    binary, configuration directory)."""
    shutil.rmtree(root, ignore_errors=True)
    r = run(["meson", "install", "-C", build, "--no-rebuild", "--quiet", "--destdir", root], timeout=300)
    check(r.returncode == 0, f"meson install: {r.stdout.strip()} {r.stderr.strip()}")
    files = installed_files(build)
    for f in files:
        check(os.path.exists(in_root(root, f)), f"meson introspect lists {f}, meson install did not put it in the root")
    units = [f for f in files if f.endswith("/systemd/system/tunprobe@.service")]
    check(len(units) == 1, f"installed units: {units}")
    unit = units[0]
    s = unit_settings(in_root(root, unit))
    m = re.fullmatch(r"(/\S+/tunprobe) run --config (/\S+)/%i\.conf", s["ExecStart"][0])
    check(m is not None, f"ExecStart={s['ExecStart'][0]}: not `BINARY run --config DIR/%i.conf`")
    binary, confdir = m.group(1), m.group(2)
    check(binary in files and os.access(in_root(root, binary), os.X_OK), f"ExecStart's {binary} is not installed")
    example = confdir + "/span0.conf.example"
    check(example in files, f"the unit reads {confdir}/%i.conf; the example is not installed there ({example})")
    check(open(in_root(root, example)).read() == open(os.path.join(src, "scripts/tunprobe-span.conf")).read(),
          f"{example} differs from scripts/tunprobe-span.conf")
    doc = s["Documentation"][0]
    check(doc.startswith("file://") and doc[7:] in files, f"Documentation={doc} is not installed")
    for kind, name in (("sysusers.d", "tunprobe.sysusers"), ("tmpfiles.d", "tunprobe.tmpfiles")):
        got = [f for f in files if f.endswith(f"/{kind}/tunprobe.conf")]
        check(len(got) == 1, f"{kind}: installed {got}")
        check(open(in_root(root, got[0])).read() == open(os.path.join(src, "scripts", name)).read(),
              f"{got[0]} differs from scripts/{name}")
    for page in ("tunprobe", "tunprobe-run", "tunprobe-decode", "tunprobe-report", "tunprobe-split"):
        check(any(f.endswith(f"/man1/{page}.1") for f in files), f"the manual page {page}(1) is not installed")
    for xml in ("tunprobe-ipfixdump.xml", "tunprobe-libfds.xml"):
        check(any(f.endswith(f"/share/tunprobe/{xml}") for f in files), f"share/tunprobe/{xml} is not installed")
    check("StateDirectory" not in s, "the unit sets StateDirectory= without User=: systemd gives it back to root")
    print(f"meson install: {len(files)} files; the unit's {binary}, {confdir}/, {doc[7:]}, sysusers.d, tmpfiles.d, "
          "5 manual pages, the element files")
    return unit, binary, confdir


def check_verify(root, binary, confdir):
    """systemd-analyze verify in the root, with systemd's own units and the
    ExecReload command beside ours."""
    shutil.copytree("/usr/lib/systemd/system", in_root(root, "/usr/lib/systemd/system"), symlinks=True,
                    dirs_exist_ok=True)
    os.makedirs(in_root(root, "/usr/bin"), exist_ok=True)
    shutil.copy2("/usr/bin/kill", in_root(root, "/usr/bin/kill"))
    if not os.path.lexists(in_root(root, "/bin")):
        os.symlink("usr/bin", in_root(root, "/bin"))
    shutil.copy(in_root(root, confdir + "/span0.conf.example"), in_root(root, confdir + "/span0.conf"))
    cmd = ["systemd-analyze", "verify", "--root=" + root, "--man=no", "tunprobe@span0.service"]
    r = run(cmd)
    said = (r.stdout + r.stderr).strip()
    check(r.returncode == 0 and said == "", f"systemd-analyze verify: rc {r.returncode}: {said}")
    hidden = in_root(root, binary) + ".away"
    os.rename(in_root(root, binary), hidden)
    try:
        r = run(cmd)
        said = (r.stdout + r.stderr).strip()
        check(r.returncode != 0 and f"Command {binary} is not executable" in said,
              f"systemd-analyze verify without the binary: rc {r.returncode}: {said}")
    finally:
        os.rename(hidden, in_root(root, binary))
    print("systemd-analyze verify tunprobe@span0.service: clean (and fails without the binary)")


def check_user_and_directory(root):
    os.makedirs(in_root(root, "/etc"), exist_ok=True)
    r = run(["systemd-sysusers", "--root=" + root])
    check(r.returncode == 0, f"systemd-sysusers: {r.stderr.strip()}")
    users = {l.split(":")[0]: l.rstrip("\n").split(":") for l in open(in_root(root, "/etc/passwd"))}
    check("tunprobe" in users, f"systemd-sysusers made no tunprobe user: {sorted(users)}")
    u = users["tunprobe"]
    check(u[5] == "/var/lib/tunprobe" and u[6].endswith("nologin"), f"the tunprobe user: {':'.join(u)}")
    check(int(u[2]) < 1000, f"the tunprobe user is not a system user: uid {u[2]}")
    r = run(["systemd-tmpfiles", "--root=" + root, "--create"])
    check(r.returncode == 0, f"systemd-tmpfiles --create: {r.stderr.strip()}")
    st = os.stat(in_root(root, "/var/lib/tunprobe"))
    check(stat.S_IMODE(st.st_mode) == 0o750 and st.st_uid == int(u[2]) and st.st_gid == int(u[3]),
          f"/var/lib/tunprobe: mode {stat.S_IMODE(st.st_mode):o}, owner {st.st_uid}:{st.st_gid}, want 750 {u[2]}:{u[3]}")
    print(f"systemd-sysusers: user tunprobe (uid {u[2]}); systemd-tmpfiles: /var/lib/tunprobe 0750 tunprobe:tunprobe")


def local_config(example, capture, state, nf_port, user):
    """The example with its HOST-SPECIFIC lines made this host's, its state
    directory moved to `state`, and the drop user `user` (None: no drop)."""
    out = []
    lines = open(example).read().splitlines()
    for i, line in enumerate(lines):
        key = line.split("=", 1)[0].strip() if "=" in line and not line.lstrip().startswith("#") else None
        # Marked on the line, or in the comment block right above it.
        above = []
        j = i - 1
        while j >= 0 and lines[j].lstrip().startswith("#"):
            above.append(lines[j])
            j -= 1
        host = "HOST-SPECIFIC" in line or (key is not None and any("HOST-SPECIFIC" in a for a in above))
        if key and host:
            if key == "input":
                line = "input = pcap:" + capture
            elif key == "workers":
                line = "workers = 2"
            elif key == "eal":
                continue  # "on a smaller machine start without this line"
            elif key == "output":
                line = re.sub(r"ipfix\+udp://[^?]+", f"ipfix+udp://127.0.0.1:{nf_port}", line.split("#")[0])
            elif key == "6rd-prefix":
                pass
            else:
                raise Fail(f"the example's HOST-SPECIFIC line '{line}' is not known to this test")
        if key == "user":
            if user is None:
                continue
            line = f"user = {user}"
        out.append(line.replace("/var/lib/tunprobe", state))
    text = "\n".join(out) + "\n"
    check(text.count(state) >= 2, "the example keeps no output in /var/lib/tunprobe")
    return text


def owner(path):
    return pwd.getpwuid(os.stat(path).st_uid).pw_name


def check_run(tunprobe, reader, gen, work, root, confdir):
    truth = generate_traffic(gen, os.path.join(work, "gen"))
    nflows = len(truth["flows"])
    as_root = os.geteuid() == 0
    user = DROP_USER if as_root else None
    if not as_root:
        print("not root: the run goes without the privilege drop")
    # The drop user reads the capture and writes the state directory: both
    # in a directory it can reach (a build tree under /root is not).
    scratch = tempfile.mkdtemp(prefix="tunprobe-service-")
    try:
        os.chmod(scratch, 0o755)
        capture = os.path.join(scratch, "mix.pcap")
        shutil.copy(os.path.join(work, "gen", "mix.pcap"), capture)
        os.chmod(capture, 0o644)
        state = os.path.join(scratch, "state")
        example = in_root(root, confdir + "/span0.conf.example")

        def configure(nf_port):
            conf = os.path.join(scratch, "span0.conf")
            with open(conf, "w") as f:
                f.write(local_config(example, capture, state, nf_port, user))
            return conf

        def make_state(uid, gid, mode):
            shutil.rmtree(state, ignore_errors=True)
            os.mkdir(state)
            os.chown(state, uid, gid)
            os.chmod(state, mode)

        if as_root:
            # The set-up as first shipped: the state directory is root's.
            make_state(0, 0, 0o755)
            conf = configure(free_port())
            r = run([tunprobe, "run", "--config", conf])
            lines = r.stderr.strip().splitlines()
            # The drop's own line, then the error: one line.
            check(r.returncode == 2 and len(lines) == 2 and lines[0].startswith(f"tunprobe: running as {DROP_USER} "),
                  f"root-owned state directory: rc {r.returncode}: {r.stderr}")
            # --stats-json is checked first (it creates nothing), then the outputs.
            want = (f"tunprobe run: --stats-json {state}/stats.json: cannot create it: Permission denied (as user "
                    f"nobody after the privilege drop: the directory {state} belongs to root:root, mode 0755)")
            check(lines[-1] == want, f"root-owned state directory: {lines[-1]}")
            check(os.listdir(state) == [], f"root-owned state directory: left {os.listdir(state)}")
            r = run([tunprobe, "run", "--config", conf, "--stats-json", "/dev/null"])
            want = re.compile(r"tunprobe run: -o ipfix:\S+/flows-%Y%m%d-%H\.ipfix: cannot write \S+/flows-\d{8}-\d{2}"
                              r"\.ipfix: Permission denied \(as user nobody after the privilege drop: the directory "
                              + re.escape(state) + r" belongs to root:root, mode 0755\)")
            last = r.stderr.strip().splitlines()[-1]
            check(r.returncode == 2 and want.fullmatch(last) is not None, f"root-owned state directory: {last}")
            check(os.listdir(state) == [], f"root-owned state directory: left {os.listdir(state)}")
            print("root-owned state directory: exit 2, one line for --stats-json, then one for the IPFIX archive")

        drop = pwd.getpwnam(DROP_USER) if as_root else pwd.getpwuid(os.geteuid())
        # As the installed tmpfiles.d file makes it, for the drop user.
        make_state(drop.pw_uid, drop.pw_gid, 0o750)
        if as_root:
            os.mkdir(os.path.join(state, "roots"), 0o755)
            conf = configure(free_port())
            blocked = os.path.join(state, "roots", "stats.json")
            r = run([tunprobe, "run", "--config", conf, "--stats-json", blocked])
            want = (f"tunprobe run: --stats-json {blocked}: cannot create it: Permission denied (as user "
                    f"nobody after the privilege drop: the directory {state}/roots belongs to root:root, mode 0755)")
            got = r.stderr.strip().splitlines()[-1:]
            check(r.returncode == 2 and got == [want], f"--stats-json in a root-owned directory: rc {r.returncode}: {got}")
            os.rmdir(os.path.join(state, "roots"))
            check(os.listdir(state) == [], f"--stats-json in a root-owned directory: left {os.listdir(state)}")
            print("--stats-json in a root-owned directory: exit 2, the same one line")
            # A capture the user cannot read: the reader would skip it.
            private = os.path.join(scratch, "private")
            os.mkdir(private, 0o700)
            shutil.copy(capture, private)
            hidden = os.path.join(private, "mix.pcap")
            r = run([tunprobe, "run", "--config", conf, "-i", "pcap:" + hidden])
            want = (f"tunprobe run: -i pcap:{hidden}: {hidden}: cannot read it as user nobody after the privilege "
                    f"drop: Permission denied (the directory {private} belongs to root:root, mode 0700)")
            got = r.stderr.strip().splitlines()[-1:]
            check(r.returncode == 2 and got == [want], f"a capture only root reads: rc {r.returncode}: {got}")
            check(os.listdir(state) == [], f"a capture only root reads: left {os.listdir(state)}")
            print("a capture only root can read: exit 2, one line")

        port = free_port()
        nf = Nfcapd(os.path.join(work, "nfcapd"), port)
        try:
            conf = configure(port)
            r = run([tunprobe, "run", "--config", conf], timeout=300)
        finally:
            stored = nf.stop()
        check(r.returncode == 0, f"the shipped configuration: rc {r.returncode}: {r.stderr.strip()}")
        if as_root:
            check(f"tunprobe: running as {DROP_USER} (uid {drop.pw_uid}" in r.stderr, f"no privilege drop: {r.stderr}")
        outputs = [l.strip() for l in r.stderr.splitlines() if l.strip().startswith("output ")]
        check(len(outputs) == 2, f"summary outputs: {outputs}")
        for o in outputs:
            check(re.search(rf": {nflows} records, {nflows} delivered, 0 failed", o) is not None,
                  f"{o}: want {nflows} records, all delivered")
        files = sorted(os.listdir(state))
        archives = [f for f in files if re.fullmatch(r"flows-\d{8}-\d{2}\.ipfix", f)]
        check(archives and set(files) == set(archives) | {"stats.json"}, f"state directory: {files}")
        for f in files:
            check(owner(os.path.join(state, f)) == drop.pw_name,
                  f"{f} belongs to {owner(os.path.join(state, f))}, not {drop.pw_name}")
        recs = ipfix_read(reader, [os.path.join(state, f) for f in archives])
        check(len(recs) == nflows, f"the IPFIX archive holds {len(recs)} records, the capture {nflows} flows")
        stats = json.load(open(os.path.join(state, "stats.json")))
        check(stats["flows"] == nflows and not stats.get("running", False), f"stats.json: flows {stats['flows']}")
        got = nfdump_json(stored)
        check(len(got) == nflows, f"nfcapd stored {len(got)} flows, the capture has {nflows}")
        print(f"the shipped configuration as {drop.pw_name}: {nflows} flows to nfcapd and to {len(archives)} "
              f"archive file(s), stats.json; every file {drop.pw_name}'s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test():
    tunprobe, build, src, reader, gen, work = sys.argv[1:7]
    os.makedirs(work, exist_ok=True)
    root = os.path.join(work, "root")
    unit, binary, confdir = check_install(build, src, root)
    check_verify(root, binary, confdir)
    check_user_and_directory(root)
    check_run(tunprobe, reader, gen, work, root, confdir)


if __name__ == "__main__":
    sys.exit(main_wrapper(test))
