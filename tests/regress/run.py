#!/usr/bin/env python3
"""Regression cases: composed logs of every family and many shapes (quoted,
coloured, CRLF, UTF-16, gzip, concatenated, interleaved devices), each with
the values a correct report holds (expect.json: dotted NDJSON keys per
session).  Usage: tests/regress/run.py BIN.  Prints 'N passed, M failed'."""
import json
import os
import subprocess
import sys

D = os.path.dirname(os.path.abspath(__file__))
C = os.path.join(D, "cases")
EXP = json.load(open(os.path.join(D, "expect.json")))

# several logs on standard input, as `cat a b c | err53-logscan`
STDIN_CASES = {
    "stdin: three idevicerestore runs": (["01_idr_e1_success.log", "03_idr_e1_53_http403.log", "08_idr_e1_53_hostonly.log"],
        ["success", "failure", "failure"], ["not-error53", "fdr-service", "undetermined"]),
    "stdin: three families": (["01_idr_e1_success.log", "20_it_win_3194.log", "16_fr_success.log"],
        ["success", "failure", "success"], ["not-error53", "not-error53", "not-error53"]),
    "stdin: two MobileRestore files": (["25_mr_erase_14.log", "26_mr_update_success.log"],
        ["failure", "success"], ["not-error53", "not-error53"]),
    "stdin: evidence stays in its session": (["06_idr_e1_53_mesa.log", "08_idr_e1_53_hostonly.log"],
        ["failure", "failure"], ["biometric-mismatch", "undetermined"]),
    "stdin: Face ID then Touch ID": (["38_faceid_53_mesa.log", "06_idr_e1_53_mesa.log"],
        ["failure", "failure"], ["undetermined", "biometric-mismatch"]),
}


def get(o, dotted):
    for k in dotted.split("."):
        if not isinstance(o, dict):
            return None
        o = o.get(k)
    return o


def run(binary, args, stdin=None):
    p = subprocess.run([binary, "--format=ndjson", "-q"] + args, input=stdin, capture_output=True,
                       env=dict(os.environ, LC_ALL="C", NO_COLOR="1"), timeout=60)
    objs = [json.loads(l) for l in p.stdout.decode("utf-8", "replace").splitlines() if l.strip()]
    return p.returncode, objs


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./err53-logscan")
    passed = failed = 0
    for name in sorted(EXP):
        exp = EXP[name]
        rc, objs = run(binary, [os.path.join(C, name)])
        sess = [o for o in objs if o.get("type") == "session"]
        errs = [o for o in objs if o.get("type") == "input-error"]
        problems = []
        if rc not in (0, 1, 2):
            problems.append("exit status %d" % rc)
        if len(errs) != exp.get("input_errors", 0):
            problems.append("%d input-error lines" % len(errs))
        if len(sess) != exp["nsessions"]:
            problems.append("%d sessions, expected %d" % (len(sess), exp["nsessions"]))
        for i, want in enumerate(exp["sessions"][:len(sess)]):
            for key, val in want.items():
                if get(sess[i], key) != val:
                    problems.append("session %d: %s = %r, expected %r" % (i + 1, key, get(sess[i], key), val))
        if problems:
            failed += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
        else:
            passed += 1
    for name, (files, outcomes, verdicts) in sorted(STDIN_CASES.items()):
        data = b"".join(open(os.path.join(C, f), "rb").read() for f in files)
        rc, objs = run(binary, ["-"], data)
        sess = [o for o in objs if o.get("type") == "session"]
        got = [(get(s, "result.outcome"), get(s, "error53.verdict")) for s in sess]
        if got != list(zip(outcomes, verdicts)):
            failed += 1
            print("FAIL %s: got %s" % (name, got))
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
