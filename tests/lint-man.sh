#!/bin/sh
# lint-man.sh - the manual pages against mandoc and against the program.
# Usage (from the project root): sh tests/lint-man.sh ./err53-logscan
#
#  1. mandoc -Tlint -Wwarning says nothing about any page;
#  2. every option of `BIN --help` is in err53-logscan(1), and every option
#     that page's OPTIONS section documents is accepted by BIN;
#  3. every NDJSON key BIN writes for the fixtures (fixtures/logs/*.log,
#     fixtures/**/*.tar.gz; the shared corpus when there are no fixtures)
#     and for a missing input is named in err53-report(5);
#  4. mandoc -Tascii renders every page.
#
# Prints one line per problem and, last, "N passed, M failed"; exits 1 when
# anything failed.
set -u
BIN=${1:-./err53-logscan}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
export LC_ALL=C NO_COLOR=1
MAN1=man/err53-logscan.1
REPORT=man/err53-report.5
PAGES="$MAN1 $REPORT man/err53-rules.5"
T=$(mktemp -d /tmp/err53-lintman.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# The start of a file on one line, for messages.
first() { head -c 300 "$1" | tr '\n' ' '; }

# Runs BIN with a time limit where timeout(1) exists; stdin is /dev/null.
run() {
	if command -v timeout >/dev/null 2>&1; then
		timeout 30 "$BIN" "$@" </dev/null
	else
		"$BIN" "$@" </dev/null
	fi
}

have_mandoc=yes
if ! command -v mandoc >/dev/null 2>&1; then
	have_mandoc=no
	bad "mandoc is not installed: pages not linted or rendered"
fi
if [ ! -x "$BIN" ]; then
	bad "$BIN: no such program (build it first)"
	echo "$pass passed, $fail failed"
	exit 1
fi

# ---- 1. mandoc -Tlint -Wwarning: no output -------------------------------
for p in $PAGES; do
	if [ ! -f "$p" ]; then
		bad "$p: missing"
		continue
	fi
	[ "$have_mandoc" = yes ] || continue
	mandoc -Tlint -Wwarning "$p" >"$T/lint" 2>&1
	if [ -s "$T/lint" ]; then
		fail=$((fail + 1))
		sed 's/^/FAIL: mandoc -Tlint: /' "$T/lint"
	else
		ok
	fi
done

# ---- 2. options -------------------------------------------------------------
: >"$T/empty.rules"

# A harmless valid argument for an option that needs one.
value_for() {
	case $1 in
	format) echo text ;;
	output) echo "$T/out.txt" ;;
	color | colour) echo never ;;
	jobs) echo 2 ;;
	files-from | files0-from) echo /dev/null ;;
	max-member-bytes | max-plist-bytes) echo 1M ;;
	max-members) echo 100 ;;
	max-line) echo 4K ;;
	max-nesting) echo 2 ;;
	max-plist-depth) echo 16 ;;
	rules | check-rules) echo "$T/empty.rules" ;;
	explain) echo 53 ;;
	*) echo 1 ;;
	esac
}

# accepted NAME FLAG SEP: true when BIN takes FLAG (with a value if it needs
# one: FLAG=VALUE for long options, FLAG VALUE for short ones).
accepted() {
	run /dev/null "$2" >"$T/opt.out" 2>"$T/opt.err"
	st=$?
	if grep -q 'requires an argument' "$T/opt.err"; then
		v=$(value_for "$1")
		if [ "$3" = "=" ]; then
			run /dev/null "$2=$v" >"$T/opt.out" 2>"$T/opt.err"
		else
			run /dev/null "$2" "$v" >"$T/opt.out" 2>"$T/opt.err"
		fi
		st=$?
	fi
	if grep -q -e 'unrecognized option' -e 'invalid option' -e "Try '" "$T/opt.err"; then
		return 1
	fi
	[ "$st" -eq 0 ] || [ "$st" -eq 1 ]
}

if ! run --help >"$T/help" 2>"$T/help.err"; then
	bad "$BIN --help fails: $(first "$T/help.err")"
fi
# long options of --help, each in the page
grep -o -e '--[a-z0-9][a-z0-9-]*' "$T/help" | sort -u >"$T/help.long"
while read -r opt; do
	name=${opt#--}
	if [ -f "$MAN1" ] && grep -q -E -e "(Fl -|--)$name([^a-z0-9-]|\$)" "$MAN1"; then
		ok
	else
		bad "$MAN1: option --$name of --help is not documented"
	fi
done <"$T/help.long"
# short options of --help ("  -f, --format=FMT"), each in the page
sed -n 's/^ *-\([A-Za-z]\), --\([a-z0-9-]*\).*/\1 \2/p' "$T/help" >"$T/help.short"
while read -r letter name; do
	if [ -f "$MAN1" ] && grep -q -E -e "Fl $letter([^A-Za-z0-9]|\$)" "$MAN1"; then
		ok
	else
		bad "$MAN1: option -$letter (--$name) of --help is not documented"
	fi
done <"$T/help.short"

# options documented in the OPTIONS section, each accepted by the program
if [ -f "$MAN1" ]; then
	sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$MAN1" | grep -e '^\.It' -e '^\.Fl' >"$T/man.opts"
	grep -o -e 'Fl -[a-z0-9][a-z0-9-]*' "$T/man.opts" | sed 's/^Fl --*//' | sort -u >"$T/man.long"
	if [ ! -s "$T/man.long" ]; then
		bad "$MAN1: no option found in the OPTIONS section"
	fi
	while read -r name; do
		if accepted "$name" "--$name" "="; then
			ok
		else
			bad "$MAN1: documents --$name, which $BIN does not accept: $(first "$T/opt.err")"
		fi
	done <"$T/man.long"
	grep -o -E -e 'Fl [A-Za-z]( |$)' "$T/man.opts" | sed 's/^Fl //; s/ $//' | sort -u >"$T/man.short"
	while read -r letter; do
		long=$(sed -n "s/^$letter //p" "$T/help.short")
		if accepted "${long:-$letter}" "-$letter" " "; then
			ok
		else
			bad "$MAN1: documents -$letter, which $BIN does not accept: $(first "$T/opt.err")"
		fi
	done <"$T/man.short"
fi

# ---- 3. NDJSON keys ----------------------------------------------------------
: >"$T/inputs"
for f in fixtures/logs/*.log; do
	[ -f "$f" ] && printf '%s\n' "$f" >>"$T/inputs"
done
if [ -d fixtures ]; then
	find fixtures -name '*.tar.gz' -type f | sort >>"$T/inputs"
fi
if [ ! -s "$T/inputs" ]; then
	for d in ../shared/corpus /work/shared/corpus; do
		[ -d "$d" ] || continue
		for f in "$d"/*.log "$d"/*.gz; do
			[ -f "$f" ] && printf '%s\n' "$f" >>"$T/inputs"
		done
		break
	done
fi
if [ ! -s "$T/inputs" ]; then
	echo "note: no fixtures and no shared corpus; NDJSON keys checked on an input error only"
fi
# a missing input adds the input-error object
printf '%s\n' "$T/no-such-input.log" >>"$T/inputs"
run --format=ndjson --files-from="$T/inputs" >"$T/report.ndjson" 2>"$T/report.err"
st=$?
if [ "$st" -gt 2 ]; then
	bad "$BIN --format=ndjson on the fixtures: exit $st ($(first "$T/report.err"))"
elif ! command -v python3 >/dev/null 2>&1; then
	bad "python3 is not installed: NDJSON keys not checked"
elif [ ! -f "$REPORT" ]; then
	bad "$REPORT: missing: NDJSON keys not checked"
else
	python3 - "$T/report.ndjson" "$REPORT" >"$T/keys" <<'EOF'
import json, re, sys

report, page = sys.argv[1], sys.argv[2]
text = open(page, encoding="utf-8", errors="replace").read()
paths = {}          # dotted path -> object types it was seen in

def walk(obj, prefix, typ):
    if isinstance(obj, dict):
        for k, v in obj.items():
            # by_code's keys are error codes, not names
            if re.fullmatch(r"-?[0-9]+", k):
                continue
            p = prefix + "." + k if prefix else k
            paths.setdefault(p, set()).add(typ)
            walk(v, p, typ)
    elif isinstance(obj, list):
        for v in obj:
            walk(v, prefix + "[]", typ)

with open(report, encoding="utf-8", errors="replace") as f:
    for n, line in enumerate(f, 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            print("BAD line %d of the report is not JSON: %s" % (n, e))
            continue
        walk(obj, "", obj.get("type", "?") if isinstance(obj, dict) else "?")

if not paths:
    print("BAD the report holds no key")
for p in sorted(paths):
    leaf = p.split(".")[-1].replace("[]", "")
    if re.search(r"(?<![A-Za-z0-9_-])" + re.escape(leaf) + r"(?![A-Za-z0-9_-])", text):
        print("OK " + p)
    else:
        print("BAD NDJSON key %s (%s) is not documented" % (p, "/".join(sorted(paths[p]))))
EOF
	if [ $? -ne 0 ]; then
		bad "the NDJSON key check did not run"
	fi
	n=$(grep -c '^OK ' "$T/keys")
	pass=$((pass + n))
	while IFS= read -r line; do
		case $line in
		"BAD "*) bad "$REPORT: ${line#BAD }" ;;
		esac
	done <"$T/keys"
fi

# ---- 4. the pages render -----------------------------------------------------
if [ "$have_mandoc" = yes ]; then
	for p in $PAGES; do
		[ -f "$p" ] || continue
		if mandoc -Tascii "$p" >/dev/null 2>"$T/render.err"; then
			ok
		else
			bad "mandoc -Tascii $p fails: $(first "$T/render.err")"
		fi
	done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
