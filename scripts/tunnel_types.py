"""tunprobe's tunnel table (probe/base/tunnel_type.hpp, TUNPROBE_TUNNEL_TYPES)
for the Python tools: the generator's labels are its names.

    import tunnel_types; tunnel_types.TYPES  -> [{"value", "enumerator", "name",
                                                  "label", "colour", "carrier", "port"}]
"""
import os
import re

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "probe", "base", "tunnel_type.hpp")


def read(path=HEADER):
    text = open(path).read()
    m = re.search(r"#define\s+TUNPROBE_TUNNEL_TYPES\(X\)((?:[^\n]*\\\n)+[^\n]*\n)", text)
    if not m:
        raise SystemExit(f"tunnel_types.py: no TUNPROBE_TUNNEL_TYPES table in {path}")
    rows = re.findall(r'X\(\s*(\w+)\s*,\s*(\d+)\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,\s*(\w+)\s*,\s*(\d+)\s*,\s*(\w+)\s*\)',
                      m.group(1))
    if not rows:
        raise SystemExit(f"tunnel_types.py: TUNPROBE_TUNNEL_TYPES in {path} has no rows")
    return [{"enumerator": e, "value": int(v), "name": n, "label": l, "colour": c, "carrier": k, "port": int(p),
             "detect": d} for e, v, n, l, c, k, p, d in rows]


TYPES = read()
NAMES = {t["name"] for t in TYPES}
