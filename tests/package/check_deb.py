#!/usr/bin/python3
"""The Debian package: scripts/build-deb.sh builds it with debhelper, and
what it holds is checked.

    check_deb.py SOURCE_ROOT WORKDIR

  * build-deb.sh (dpkg-buildpackage, debhelper's meson build system) ends
    with one .deb for the project's version, amd64;
  * its control fields: Depends computed from the binaries' libraries
    (DPDK's librte-*, libfixbuf, libpcap, libfmt, Boost program_options)
    plus python3; Recommends dpdk (the NIC drivers) and python3-matplotlib;
  * it holds everything a deployment needs at Debian's paths: both
    binaries, the unit, the sysusers.d and tmpfiles.d files, the example
    configuration under /etc/tunprobe, the five manual pages, the element
    files and the chart script under /usr/share/tunprobe, the README (not
    compressed: the unit's Documentation= names it) and the copyright file;
    the unit's ExecStart and --config name the package's own paths;
  * its postinst makes the user and the state directory (systemd-sysusers,
    systemd-tmpfiles: debhelper's snippets from the installed files);
  * lintian reports no error; its warnings are printed;
  * `dpkg -x` into a scratch root: that tunprobe says its version, and
    runs a generated capture to the right number of flows.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

errors = []


def fail(msg):
    errors.append(msg)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    src, work = sys.argv[1:3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    version = re.search(r"version : '([^']+)'", open(os.path.join(src, "meson.build")).read()).group(1)
    out = os.path.join(work, "out")
    r = run([os.path.join(src, "scripts/build-deb.sh"), out], cwd=src, timeout=1500)
    if r.returncode != 0:
        print((r.stdout + r.stderr)[-4000:])
        fail(f"build-deb.sh: exit {r.returncode}")
        return
    debs = glob.glob(os.path.join(out, "*.deb"))
    want = os.path.join(out, f"tunprobe_{version}_amd64.deb")
    if debs != [want] or r.stdout.strip().splitlines()[-1] != want:
        fail(f"build-deb.sh made {debs}, said {r.stdout.strip().splitlines()[-1:]}; want {want}")
        return
    deb = want
    print(f"build-deb.sh: {os.path.basename(deb)}, {os.path.getsize(deb) // 1024} KiB")

    fields = {}
    for line in run(["dpkg-deb", "-f", deb]).stdout.splitlines():
        if ":" in line and not line.startswith(" "):
            k, v = line.split(":", 1)
            fields[k] = v.strip()
    if fields.get("Package") != "tunprobe" or fields.get("Version") != version or fields.get("Architecture") != "amd64":
        fail(f"control: {fields.get('Package')} {fields.get('Version')} {fields.get('Architecture')}")
    depends = fields.get("Depends", "")
    for lib in ("librte-", "libfixbuf", "libpcap", "libfmt", "libboost-program-options", "python3"):
        if lib not in depends:
            fail(f"Depends lacks {lib}: {depends}")
    for rec in ("dpdk", "python3-matplotlib"):
        if rec not in fields.get("Recommends", ""):
            fail(f"Recommends lacks {rec}: {fields.get('Recommends')}")
    print(f"Depends: {len(depends.split(','))} packages (librte-*, libfixbuf, libpcap, libfmt, boost, python3)")

    listing = run(["dpkg-deb", "-c", deb]).stdout
    paths = {line.split()[5].lstrip(".") for line in listing.splitlines() if len(line.split()) >= 6}
    need = ["/usr/bin/tunprobe", "/usr/bin/tunprobe-split", "/usr/lib/systemd/system/tunprobe@.service",
            "/usr/lib/sysusers.d/tunprobe.conf", "/usr/lib/tmpfiles.d/tunprobe.conf",
            "/etc/tunprobe/span0.conf.example", "/usr/share/tunprobe/report_charts.py",
            "/usr/share/tunprobe/tunprobe-ipfixdump.xml", "/usr/share/tunprobe/tunprobe-libfds.xml",
            "/usr/share/doc/tunprobe/README.md", "/usr/share/doc/tunprobe/copyright"]
    need += [f"/usr/share/man/man1/{p}.1.gz" for p in
             ("tunprobe", "tunprobe-run", "tunprobe-decode", "tunprobe-report", "tunprobe-clickhouse-schema", "tunprobe-split")]
    missing = [p for p in need if p not in paths]
    if missing:
        fail(f"the package lacks {missing}")
    if any(p.startswith("/usr/local") for p in paths):
        fail("the package has files under /usr/local")
    print(f"contents: {len(paths)} paths, all {len(need)} a deployment needs")

    root = os.path.join(work, "root")
    r = run(["dpkg", "-x", deb, root])
    if r.returncode != 0:
        fail(f"dpkg -x: {r.stderr.strip()}")
        return
    unit = open(os.path.join(root, "usr/lib/systemd/system/tunprobe@.service")).read()
    if "ExecStart=/usr/bin/tunprobe run --config /etc/tunprobe/%i.conf" not in unit \
            or "Documentation=file:///usr/share/doc/tunprobe/README.md" not in unit:
        fail("the unit does not name the package's paths")

    ctrl = os.path.join(work, "control")
    run(["dpkg-deb", "-e", deb, ctrl])
    postinst = open(os.path.join(ctrl, "postinst")).read() if os.path.exists(os.path.join(ctrl, "postinst")) else ""
    for what in ("systemd-sysusers", "systemd-tmpfiles"):
        if not re.search(what + r"\b.*\btunprobe\.conf", postinst):
            fail(f"postinst does not run {what} for tunprobe.conf")
    # The state directory belongs to the user: the user first.
    if 0 <= postinst.find("systemd-tmpfiles") < postinst.find("systemd-sysusers"):
        fail("postinst runs systemd-tmpfiles before systemd-sysusers")
    print("postinst: systemd-sysusers and systemd-tmpfiles for tunprobe.conf; the unit names /usr/bin, /etc/tunprobe")

    r = run(["lintian", "--no-tag-display-limit", deb], timeout=600)
    tags = [l for l in (r.stdout + r.stderr).splitlines() if re.match(r"^[EWIX]: ", l)]
    errs = [t for t in tags if t.startswith("E:")]
    if errs:
        fail(f"lintian errors: {errs}")
    warns = [t for t in tags if t.startswith("W:")]
    print(f"lintian: {len(errs)} errors, {len(warns)} warnings" + "".join("\n  " + w for w in warns))

    exe = os.path.join(root, "usr/bin/tunprobe")
    r = run([exe, "--version"])
    if r.stdout.strip() != f"tunprobe {version}":
        fail(f"{exe} --version: {r.stdout.strip()!r} {r.stderr.strip()}")
    gen = os.path.join(work, "gen")
    subprocess.run(["/usr/bin/python3", os.path.join(src, "scripts/gen_traffic.py"), "--out", gen], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    truth = json.load(open(os.path.join(gen, "mix.truth.json")))
    r = run([exe, "run", "-i", "pcap:" + os.path.join(gen, "mix.pcap"), "-o", "json:-"], timeout=120)
    flows = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if r.returncode != 0 or len(flows) != len(truth["flows"]):
        fail(f"the packaged tunprobe on mix.pcap: exit {r.returncode}, {len(flows)} flows, want "
             f"{len(truth['flows'])}: {r.stderr.strip()[-300:]}")
    print(f"dpkg -x: tunprobe {version}; mix.pcap: {len(flows)} flows, as the ground truth")


if __name__ == "__main__":
    main()
    for e in errors:
        print("FAIL:", e)
    sys.exit(1 if errors else 0)
