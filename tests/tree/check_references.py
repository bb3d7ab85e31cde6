#!/usr/bin/env python3
"""Every file a comment, a doc or a script names is in the tree.

Scans the tracked sources, scripts and docs for names of the tree's files
(a path under one of the top-level folders, or a bare file name with a
source extension) and fails on each one that does not exist: a comment that
cites a file that moved or went away misleads its next reader.

    check_references.py ROOT
"""
import os
import re
import subprocess
import sys

TOP = ("probe", "plugins", "hw", "templates", "tests", "bench", "scripts", ".ci")
EXT = r"(?:hpp|cpp|h|py|sh|json|txt|md|v|sv|conf|service)"
PATH = re.compile(r"(?<![\w./${-])((?:" + "|".join(re.escape(t) for t in TOP) + r")/[\w./-]*\w\." + EXT + r")\b")
BARE = re.compile(r"(?<![\w./${-])([a-z][\w-]*\." + r"(?:hpp|cpp)" + r")\b")
# Headers of the libraries the tree uses, named in comments.
EXTERNAL = {"catch.hpp"}
SCANNED = re.compile(r"\.(hpp|cpp|py|sh|md|build|json|txt|v|sv)$|meson\.build$|^\.ci/run$")


def main():
    root = sys.argv[1]
    files = subprocess.run(["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard"],
                           check=True, capture_output=True, text=True).stdout.split()
    present = set(files)
    basenames = {os.path.basename(f) for f in files}
    bad = []
    checked = 0
    for f in files:
        if not SCANNED.search(f) or f.startswith("templates/generated/") or not os.path.exists(os.path.join(root, f)):
            continue
        try:
            text = open(os.path.join(root, f), encoding="utf-8").read()
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            # A build output (meson's build_root() / 'hw/rtl/timing.json') is no tree file.
            if "build_root()" in line or "build_dir()" in line:
                continue
            for m in PATH.finditer(line):
                name = m.group(1).rstrip(".")
                if "*" in name or re.search(r"[A-Z]{3,}", name):  # a glob or a placeholder (fuzz_TARGET.cpp)
                    continue
                checked += 1
                # From the top, or (meson.build) from the file's own folder.
                here = os.path.join(os.path.dirname(f), name)
                if name not in present and here not in present and not os.path.exists(os.path.join(root, name)):
                    bad.append(f"{f}:{n}: names {name}, which is not in the tree")
            for m in BARE.finditer(line):
                name = m.group(1)
                if re.search(r"[A-Z]{3,}", name):
                    continue
                checked += 1
                if name not in basenames and name not in EXTERNAL:
                    bad.append(f"{f}:{n}: names {name}, which is not in the tree")
    for b in bad:
        print("FAIL", b)
    print(f"{checked} file names checked, {len(bad)} not in the tree")
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
