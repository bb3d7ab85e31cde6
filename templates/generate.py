#!/usr/bin/python3
"""Generates tunprobe's IPFIX files from the information model in
templates/elements.json.

    templates/generate.py [--out DIR] [--pen N] [--readme README.md] [--check]

Writes into DIR (default templates/generated/):

  ipfix_model.hpp        the elements, facts, templates and profiles as C++
                         tables (probe/records/ipfix_elements.cpp builds libfixbuf
                         templates from them)
  tunprobe-ipfixdump.xml IANA-registry-style element file for libfixbuf's
                         `ipfixDump -e` (and any libfixbuf collector):
                         tunprobe's elements and the PEN 16982 tunnel elements
  tunprobe-libfds.xml    element file for libfds/ipfixcol2
                         (system/elements/); the PEN 16982 tunnel elements
                         already ship with libfds (muni.xml)
  elements.md            the element tables for the README

--pen N writes the element files for an operator's own PEN (the checked-in
files use the default, 32473). --readme FILE replaces the block between
`<!-- BEGIN templates/generated/elements.md -->` and `<!-- END ... -->` in
FILE with elements.md. --check writes nothing: exits 1 and names every file
(and the README block) that differs from what would be generated.

Value tables come from the X-macro tables the code uses (probe/*.hpp), so
the model and the code cannot disagree.
"""
import argparse
import json
import os
import re
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL = os.path.join(HERE, "elements.json")
BEGIN = "<!-- BEGIN templates/generated/elements.md -->"
END = "<!-- END templates/generated/elements.md -->"

# IANA abstract data types (RFC 7012 / RFC 5610 numbering; libfixbuf's FB_*
# constants use the same numbers) and their lengths.
TYPES = {
    "octetArray": (0, None), "unsigned8": (1, 1), "unsigned16": (2, 2), "unsigned32": (3, 4),
    "unsigned64": (4, 8), "signed8": (5, 1), "signed16": (6, 2), "signed32": (7, 4), "signed64": (8, 8),
    "float32": (9, 4), "float64": (10, 8), "boolean": (11, 1), "macAddress": (12, 6), "string": (13, None),
    "dateTimeSeconds": (14, 4), "dateTimeMilliseconds": (15, 8), "dateTimeMicroseconds": (16, 8),
    "dateTimeNanoseconds": (17, 8), "ipv4Address": (18, 4), "ipv6Address": (19, 16),
}
SEMANTICS = {"default": 0, "quantity": 1, "totalCounter": 2, "deltaCounter": 3, "identifier": 4, "flags": 5}
UNITS = {"": 0, "bits": 1, "octets": 2, "packets": 3, "flows": 4, "seconds": 5, "milliseconds": 6,
         "microseconds": 7, "nanoseconds": 8, "4-octet words": 9, "messages": 10, "hops": 11, "entries": 12,
         "frames": 13}
PEN_TUNPROBE = "tunprobe"
PEN_CESNET = 16982
KINDS = ("ipv4", "ipv6", "tunneled", "tunneled_ipv4", "tunneled6", "tunneled6_ipv4")


def read_value_table(ref):
    """'probe/base/tunnel_type.hpp:TUNPROBE_TUNNEL_TYPES' -> [(value, name, enumerator)]"""
    path, macro = ref.split(":")
    text = open(os.path.join(ROOT, path)).read()
    m = re.search(r"#define\s+" + macro + r"\(X\)((?:[^\n]*\\\n)+[^\n]*\n)", text)
    if not m:
        sys.exit(f"generate.py: no X-macro table {macro} in {path}")
    # X(enumerator, value, "name", ...): the first three columns.
    rows = re.findall(r"X\(\s*(\w+)\s*,\s*(\d+)\s*,\s*\"([^\"]*)\"[^)]*\)", m.group(1))
    if not rows:
        sys.exit(f"generate.py: X-macro table {macro} in {path} has no rows")
    return [(int(v), n, e) for e, v, n in rows]


class Model:
    def __init__(self, path=MODEL):
        d = json.load(open(path))
        self.default_pen = d["default_pen"]
        self.elements = d["elements"]
        self.extra_facts = d["extra_facts"]
        self.profiles = d["profiles"]
        self.values = {}
        seen = set()
        for e in self.elements:
            if e["type"] not in TYPES or TYPES[e["type"]][1] is None:
                sys.exit(f"generate.py: {e['name']}: unsupported type {e['type']}")
            if e["semantics"] not in SEMANTICS or e["units"] not in UNITS:
                sys.exit(f"generate.py: {e['name']}: bad semantics or units")
            k = (e["pen"], e["id"])
            if k in seen:
                sys.exit(f"generate.py: duplicate element {k}")
            seen.add(k)
            if "values" in e:
                self.values[e["values"]] = read_value_table(e["values"])
        # Facts: the default profile's element names, then the extra facts.
        self.facts = []
        for t in self.profiles["default"]["templates"]:
            for f in t["fields"]:
                if len(f) != 1:
                    sys.exit("generate.py: default profile fields carry their own fact")
                if f[0] not in self.facts:
                    self.facts.append(f[0])
        self.facts += [f for f in self.extra_facts if f not in self.facts]
        for pname, p in self.profiles.items():
            kinds = [t["kind"] for t in p["templates"]]
            if sorted(kinds) != sorted(KINDS):
                sys.exit(f"generate.py: profile {pname} needs one template of each kind {KINDS}")
            for t in p["templates"]:
                for f in t["fields"]:
                    self.element(f[0], p["pens"])
                    fact = f[-1]
                    if fact not in self.facts:
                        sys.exit(f"generate.py: {pname}/{t['name']}: unknown fact {fact}")

    def element(self, name, pens):
        found = [e for e in self.elements if e["name"] == name and e["pen"] in pens]
        if len(found) != 1:
            sys.exit(f"generate.py: element {name} is not exactly one element of PENs {pens}")
        return found[0]

    def index(self, e):
        return self.elements.index(e)

    def enterprise(self, pen):
        return [e for e in self.elements if e["pen"] == pen]


def cxx_str(s):
    return json.dumps(s)


def gen_header(m):
    o = ["// GENERATED by templates/generate.py from templates/elements.json: do not edit.",
         "// The IPFIX information model as C++ tables; probe/records/ipfix_elements.cpp turns them",
         "// into libfixbuf information elements and templates.",
         "#pragma once", "", "#include <cstddef>", "#include <cstdint>", "", "namespace tunprobe::ipfix {", "",
         f"inline constexpr uint32_t kDefaultPen = {m.default_pen};",
         "// Stands for the configured --pen in Element::pen.",
         "inline constexpr uint32_t kPenTunprobe = 0xffffffffu;",
         f"inline constexpr uint32_t kPenCesnet = {PEN_CESNET};", "",
         "// What a template field is filled with (README: IPFIX export).",
         "enum class Fact : uint8_t {"]
    for f in m.facts:
        o.append(f"  {f},")
    o += ["};", f"inline constexpr std::size_t kFactCount = {len(m.facts)};", "",
          "// type: IANA abstract data type number (RFC 5610; libfixbuf's FB_* values);",
          "// semantics, units: RFC 5610 numbers (libfixbuf: << 8, << 16).",
          "struct Element {", "  const char* name;", "  uint32_t pen;", "  uint16_t id;", "  uint16_t length;",
          "  uint8_t type;", "  uint8_t semantics;", "  uint8_t units;", "  const char* description;", "};", "",
          "inline constexpr Element kElements[] = {"]
    for e in m.elements:
        pen = "kPenTunprobe" if e["pen"] == PEN_TUNPROBE else str(e["pen"])
        o.append(f"    {{{cxx_str(e['name'])}, {pen}, {e['id']}, {TYPES[e['type']][1]}, {TYPES[e['type']][0]}, "
                 f"{SEMANTICS[e['semantics']]}, {UNITS[e['units']]}, {cxx_str(e['description'])}}},")
    o += ["};", f"inline constexpr std::size_t kElementCount = {len(m.elements)};", "",
          "struct Field {", "  uint16_t element;  // index into kElements", "  Fact fact;", "};", "",
          "enum class TemplateKind : uint8_t { " + ", ".join(KINDS) + " };", "",
          "struct Template {", "  uint16_t id;", "  const char* name;", "  TemplateKind kind;", "  const Field* fields;",
          "  uint16_t field_count;", "};", "",
          "struct Profile {", "  const char* name;", "  const char* description;", "  const Template* templates;",
          "  uint16_t template_count;", "};", ""]
    for pname, p in m.profiles.items():
        for t in p["templates"]:
            ident = f"kFields_{pname}_{t['kind']}"
            o.append(f"inline constexpr Field {ident}[] = {{")
            for f in t["fields"]:
                e = m.element(f[0], p["pens"])
                o.append(f"    {{{m.index(e)}, Fact::{f[-1]}}},  // {e['name']}")
            o.append("};")
        o.append(f"inline constexpr Template kTemplates_{pname}[] = {{")
        for t in p["templates"]:
            o.append(f"    {{{t['id']}, {cxx_str(t['name'])}, TemplateKind::{t['kind']}, kFields_{pname}_{t['kind']}, "
                     f"{len(t['fields'])}}},")
        o += ["};", ""]
    o.append("inline constexpr Profile kProfiles[] = {")
    for pname, p in m.profiles.items():
        o.append(f"    {{{cxx_str(pname)}, {cxx_str(p['description'])}, kTemplates_{pname}, "
                 f"{len(p['templates'])}}},")
    o += ["};", f"inline constexpr std::size_t kProfileCount = {len(m.profiles)};", "",
          "}  // namespace tunprobe::ipfix", ""]
    return "\n".join(o)


def values_comment(m, e):
    if "values" not in e:
        return ""
    return "Values: " + ", ".join(f"{v} {n}" for v, n, _ in m.values[e["values"]]) + "."


def gen_ipfixdump(m, pen):
    o = ["<?xml version='1.0' encoding='UTF-8'?>",
         "<!-- GENERATED by templates/generate.py from templates/elements.json: do not edit.",
         "     tunprobe's enterprise elements and the PEN 16982 tunnel elements, for",
         "     libfixbuf's ipfixDump -e FILE (IANA registry format, CERT extensions). -->",
         '<registry id="tunprobe_ipfix"', '          xmlns="http://www.iana.org/assignments"',
         '          xmlns:cert="http://www.cert.org/ipfix">', "",
         "  <title>tunprobe IPFIX elements</title>", ""]
    for title, rid, group, p in ((f"tunprobe enterprise elements (PEN {pen})", "tunprobe-information-elements",
                                  "tunprobe", PEN_TUNPROBE),
                                 (f"Tunnel elements of PEN {PEN_CESNET} (FlowMon tunnel plug-in; tunprobe profile flowmon)",
                                  "cesnet-tunnel-information-elements", "flowmon", PEN_CESNET)):
        o += [f'  <registry id="{rid}">', f"    <title>{escape(title)}</title>", ""]
        for e in m.enterprise(p):
            desc = e["description"] + (" " + values_comment(m, e) if "values" in e else "")
            o += ["    <record>", f"      <name>{e['name']}</name>", f"      <dataType>{e['type']}</dataType>",
                  f"      <group>{group}</group>", f"      <dataTypeSemantics>{e['semantics']}</dataTypeSemantics>",
                  f"      <cert:enterpriseId>{pen if p == PEN_TUNPROBE else p}</cert:enterpriseId>",
                  f"      <elementId>{e['id']}</elementId>", "      <status>current</status>",
                  "      <description>", f"        <paragraph>{escape(desc)}</paragraph>", "      </description>"]
            if e["units"]:
                o.append(f"      <units>{e['units']}</units>")
            o += ["    </record>", ""]
        o += ["  </registry>", ""]
    o += ["</registry>", ""]
    return "\n".join(o)


def gen_libfds(m, pen):
    o = ['<?xml version="1.0" encoding="utf-8"?>',
         "<!-- GENERATED by templates/generate.py from templates/elements.json: do not edit.",
         "     tunprobe's enterprise elements for libfds/ipfixcol2: copy to libfds'",
         "     system/elements/ directory (e.g. /etc/libfds/system/elements/tunprobe.xml).",
         f"     The PEN {PEN_CESNET} tunnel elements (flowmon profile) ship with libfds (muni.xml). -->",
         "<ipfix-elements>", "    <scope>", f"        <pen>{pen}</pen>", "        <name>tunprobe</name>",
         '        <biflow mode="none"></biflow>', "    </scope>", ""]
    for e in m.enterprise(PEN_TUNPROBE):
        o += ["    <element>", f"        <id>{e['id']}</id>", f"        <name>{e['name']}</name>",
              f"        <dataType>{e['type']}</dataType>", f"        <dataSemantics>{e['semantics']}</dataSemantics>",
              f"        <units>{e['units'] or 'none'}</units>", "        <status>current</status>"]
        if "values" in e:
            o.append(f"        <!-- {escape(values_comment(m, e))} -->")
        o += ["    </element>"]
    o += ["</ipfix-elements>", ""]
    return "\n".join(o)


def gen_markdown(m):
    o = ["<!-- GENERATED by templates/generate.py from templates/elements.json: do not edit here. -->", "",
         f"Enterprise elements, PEN `--pen` (default {m.default_pen}):", "",
         "| id | name | type | semantics | units | meaning |", "| --- | --- | --- | --- | --- | --- |"]
    for e in m.enterprise(PEN_TUNPROBE):
        o.append(f"| {e['id']} | `{e['name']}` | {e['type']} | {e['semantics']} | {e['units'] or ''} | {e['description']} |")
    o += ["", "Value tables (the same numbers in every profile, tunnelType's also in nfdump's `ingressVRFID`; "
          "JSON prints the names):", ""]
    tables = [("tunnelType", "probe/base/tunnel_type.hpp:TUNPROBE_TUNNEL_TYPES"),
              ("sourceAddressClass / destinationAddressClass", "probe/decode/addr_class.hpp:TUNPROBE_ADDR_CLASSES"),
              ("mirrorType", "probe/base/mirror_type.hpp:TUNPROBE_MIRROR_TYPES"),
              ("flowEndReason (IANA)", "probe/flow/flow_record.hpp:TUNPROBE_END_REASONS")]
    for title, ref in tables:
        rows = m.values[ref]
        o.append(f"- {title}: " + ", ".join(f"{v} `{n}`" for v, n, _ in rows))
    o += ["", "Templates (ids are fixed; `element=fact` means the element carries another fact):", "",
          "| profile | template | id | fields |", "| --- | --- | --- | --- |"]
    for pname, p in m.profiles.items():
        for t in p["templates"]:
            fields = []
            for f in t["fields"]:
                e = m.element(f[0], p["pens"])
                label = (f"E{e['id']}" if e["pen"] == PEN_TUNPROBE else f"{e['pen']}/{e['id']}" if e["pen"]
                         else str(e["id"]))
                fields.append(f"{e['name']}({label})" + (f"={f[1]}" if len(f) == 2 and f[1] != f[0] else ""))
            o.append(f"| {pname} | {t['name']} | {t['id']} | {', '.join(fields)} |")
    o += ["", "E*n*: enterprise element *n* under `--pen`; 16982/*n*: CESNET's PEN.", ""]
    return "\n".join(o)


def generate(m, pen):
    return {
        "ipfix_model.hpp": gen_header(m),
        "tunprobe-ipfixdump.xml": gen_ipfixdump(m, pen),
        "tunprobe-libfds.xml": gen_libfds(m, pen),
        "elements.md": gen_markdown(m),
    }


def readme_with(text, md):
    b, e = text.find(BEGIN), text.find(END)
    if b < 0 or e < b:
        return None
    return text[:b] + BEGIN + "\n" + md + END + text[e + len(END):]


def main():
    ap = argparse.ArgumentParser(description="Generates tunprobe's IPFIX files from templates/elements.json")
    ap.add_argument("--out", default=os.path.join(HERE, "generated"))
    ap.add_argument("--pen", type=int, default=None)
    ap.add_argument("--readme", default=None)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    m = Model()
    pen = a.pen if a.pen is not None else m.default_pen
    if not 1 <= pen <= 0xffffffff or (pen & 0xffff) in (0, 6871, 29305):
        sys.exit(f"--pen: {pen} is not allowed (1..4294967295, low 16 bits not 0, 6871 or 29305)")
    files = generate(m, pen)
    drift = []
    if not a.check:
        os.makedirs(a.out, exist_ok=True)
    for name, text in files.items():
        path = os.path.join(a.out, name)
        if a.check:
            old = open(path).read() if os.path.exists(path) else None
            if old != text:
                drift.append(path)
        else:
            with open(path, "w") as f:
                f.write(text)
    if a.readme:
        old = open(a.readme).read()
        new = readme_with(old, files["elements.md"])
        if new is None:
            sys.exit(f"generate.py: {a.readme} has no '{BEGIN}' ... '{END}' block")
        if a.check:
            if new != old:
                drift.append(a.readme + " (element tables)")
        elif new != old:
            with open(a.readme, "w") as f:
                f.write(new)
    if drift:
        print("generated files differ from templates/elements.json (run templates/generate.py --readme README.md):")
        for d in drift:
            print("   ", d)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
