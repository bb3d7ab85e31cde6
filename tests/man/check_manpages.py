#!/usr/bin/python3
"""The manual pages that the build generates (scripts/man/, help2man over
each binary's --help) against the binaries' own --help.

    check_manpages.py TUNPROBE TUNPROBE_SPLIT PAGE.1...

  * each page renders with groff -man -ww without a warning;
  * its NAME line is "PAGE - ..." and it names the project's version;
  * every option of the command's --help (each --long-name, each -x short
    name) is in the rendered page, and so are its option group headings:
    nothing of --help is lost on the way;
  * every page has FILES and SEE ALSO, and SEE ALSO names every page;
  * the check can fail: a page rendered from `run --help` with one option
    line removed is caught.
"""
import os
import re
import subprocess
import sys

errors = []


def fail(msg):
    errors.append(msg)


def render(page_text):
    """The page as plain text: no hyphenation, no adjustment, wide lines."""
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-rHY=0", "-rLL=400n", "-dAD=l", "-P-cbou"],
                       input=page_text, capture_output=True, text=True)
    return r.stdout, r.stderr.strip()


def options_of(help_text):
    longs = set(re.findall(r"(?<![\w-])--[a-z0-9][a-z0-9-]*", help_text))
    shorts = set(re.findall(r"^\s+-([a-zA-Z0-9]) \[", help_text, re.M)) | set(
        re.findall(r"^\s+-([a-zA-Z0-9]),", help_text, re.M))
    groups = set(re.findall(r"^([A-Z][^:\n]{2,60}):$", help_text, re.M))
    return longs, {"-" + s for s in shorts}, groups


def check_page(path, help_text, version, all_pages):
    name = os.path.basename(path)[:-2]
    text, warnings = render(open(path).read())
    if warnings:
        fail(f"{name}.1: groff warns: {warnings[:300]}")
    flat = " ".join(text.split())
    if not re.search(rf"NAME {re.escape(name)} - \S", flat):
        fail(f"{name}.1: no NAME line '{name} - ...'")
    if version not in flat:
        fail(f"{name}.1: does not name version {version}")
    longs, shorts, groups = options_of(help_text)
    missing = sorted(o for o in longs | shorts if o not in flat)
    if missing:
        fail(f"{name}.1: options of --help missing from the page: {missing}")
    lost = sorted(g for g in groups if " ".join(g.split()).lower() not in flat.lower())
    if lost:
        fail(f"{name}.1: --help's headings missing from the page: {lost}")
    for section in ("FILES", "SEE ALSO"):
        if f"\n{section}\n" not in text:
            fail(f"{name}.1: no {section} section")
    see = flat[flat.find("SEE ALSO"):]
    for other in all_pages:
        if f"{other}(1)" not in see:
            fail(f"{name}.1: SEE ALSO does not name {other}(1)")
    return len(longs | shorts)


def main():
    tunprobe, split, pages = sys.argv[1], sys.argv[2], sys.argv[3:]
    version = subprocess.run([tunprobe, "--version"], capture_output=True, text=True).stdout.split()[-1]
    names = [os.path.basename(p)[:-2] for p in pages]
    want = ["tunprobe", "tunprobe-run", "tunprobe-decode", "tunprobe-report", "tunprobe-clickhouse-schema",
            "tunprobe-split"]
    if sorted(names) != sorted(want):
        fail(f"pages {sorted(names)}, want {sorted(want)}")
    for path, name in zip(pages, names):
        cmd = {"tunprobe": [tunprobe, "--help"], "tunprobe-split": [split, "--help"]}.get(
            name, [tunprobe, name.split("-", 1)[-1], "--help"])
        help_text = subprocess.run(cmd, capture_output=True, text=True).stdout
        if len(help_text) < 200:
            fail(f"{' '.join(cmd)}: {len(help_text)} characters of help")
            continue
        n = check_page(path, help_text, version, want)
        print(f"{name}.1: renders clean, {n} options of --help all in it")
    # The check can fail: an option the page lacks.
    run_page = next((p for p in pages if p.endswith("/tunprobe-run.1")), None)
    if run_page:
        text = open(run_page).read()
        cut = text.replace("\\-\\-stats\\-json", "\\-\\-stats\\-jsn")
        before = len(errors)
        run_help = subprocess.run([tunprobe, "run", "--help"], capture_output=True, text=True).stdout
        cut_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"tunprobe-run-{os.getpid()}.1")
        with open(cut_path, "w") as f:
            f.write(cut)
        try:
            check_page(cut_path, run_help, version, want)
        finally:
            os.remove(cut_path)
        caught = [e for e in errors[before:] if "--stats-json" in e]
        del errors[before:]
        if not caught:
            fail("a tunprobe-run page without --stats-json passes the check")
        else:
            print("a page without --stats-json: caught")
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
