#!/usr/bin/python3
"""The element table and its generated files agree.

    check_generated.py

Regenerates templates/generated/ from templates/elements.json into a
temporary directory and fails when any checked-in file differs (a changed
table, a hand-edited file), or when the README's element tables differ from
templates/generated/elements.md. The value tables come from the code's
X-macro tables (probe/base/tunnel_type.hpp, probe/decode/addr_class.hpp,
probe/flow/flow_record.hpp): a renumbered enum shows up here as drift.
"""
import filecmp
import os
import subprocess
import sys
import tempfile

from ipfix_common import ROOT, MODEL, TUNNEL_TYPES, ADDR_CLASSES, Fail, check, main_wrapper


def test():
    gen = os.path.join(ROOT, "templates", "generate.py")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["/usr/bin/python3", gen, "--out", tmp], check=True)
        checked_in = os.path.join(ROOT, "templates", "generated")
        for name in sorted(os.listdir(tmp)):
            old = os.path.join(checked_in, name)
            check(os.path.exists(old), f"templates/generated/{name} is missing (run templates/generate.py)")
            check(filecmp.cmp(old, os.path.join(tmp, name), shallow=False),
                  f"templates/generated/{name} differs from templates/elements.json (run templates/generate.py)")
        extra = set(os.listdir(checked_in)) - set(os.listdir(tmp))
        check(not extra, f"templates/generated/ has files the generator does not write: {sorted(extra)}")
    r = subprocess.run(["/usr/bin/python3", gen, "--check", "--readme", os.path.join(ROOT, "README.md")],
                       capture_output=True, text=True)
    check(r.returncode == 0, "README.md: " + r.stdout.strip() + r.stderr.strip())
    # The element files are well-formed XML with every enterprise element.
    import xml.etree.ElementTree as ET
    gdir = os.path.join(ROOT, "templates", "generated")
    dump = ET.parse(os.path.join(gdir, "tunprobe-ipfixdump.xml")).getroot()
    ns = {"i": "http://www.iana.org/assignments", "cert": "http://www.cert.org/ipfix"}
    named = {(int(r.find("cert:enterpriseId", ns).text), r.find("i:name", ns).text) for r in dump.iter("{%s}record" % ns["i"])}
    want = {(MODEL.default_pen if e["pen"] == "tunprobe" else e["pen"], e["name"]) for e in MODEL.elements if e["pen"] != 0}
    check(named == want, f"tunprobe-ipfixdump.xml: {sorted(named ^ want)}")
    fds = ET.parse(os.path.join(gdir, "tunprobe-libfds.xml")).getroot()
    check(fds.find("scope/pen").text == str(MODEL.default_pen), "tunprobe-libfds.xml: scope PEN")
    fds_names = {el.find("name").text for el in fds.findall("element")}
    check(fds_names == {n for p, n in want if p == MODEL.default_pen}, f"tunprobe-libfds.xml elements: {fds_names}")
    # The generated header carries what the code's enums say.
    hdr = open(os.path.join(ROOT, "templates", "generated", "ipfix_model.hpp")).read()
    for e in MODEL.elements:
        check(f'"{e["name"]}"' in hdr, f"{e['name']} missing from the generated header")
    check(TUNNEL_TYPES[1] == "teredo" and TUNNEL_TYPES[5] == "6rd", f"tunnelType values: {TUNNEL_TYPES}")
    check(ADDR_CLASSES[9] == "teredo", f"address classes: {ADDR_CLASSES}")
    print(f"{len(MODEL.elements)} elements, {len(MODEL.profiles)} profiles, "
          f"{sum(len(p['templates']) for p in MODEL.profiles.values())} templates: generated files up to date")


if __name__ == "__main__":
    sys.exit(main_wrapper(test))
