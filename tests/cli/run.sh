#!/bin/sh
# CLI tests: exit status, messages, inputs of every kind, NDJSON validity,
# ordering under -j.  Usage: sh tests/cli/run.sh ./err53-logscan
# Prints one line per failure and, last, "N passed, M failed".
set -u
BIN=${1:-./err53-logscan}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
export LC_ALL=C NO_COLOR=1
FIX=$(pwd)/fixtures
T=$(mktemp -d /tmp/err53-cli.XXXXXX)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_exit NAME WANT CMD...: runs CMD with stdout/stderr in $T/out, $T/err
expect_exit() {
	name=$1 want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "$name: exit $got, expected $want ($(head -c 300 "$T/err"))"; fi
}
expect_grep() { # NAME FILE PATTERN
	if grep -q -- "$3" "$2"; then ok; else bad "$1: '$3' not in $2: $(head -c 300 "$2")"; fi
}
expect_nogrep() {
	if grep -q -- "$3" "$2"; then bad "$1: unexpected '$3' in $2"; else ok; fi
}
valid_ndjson() { # NAME FILE: every line JSON, last line the summary
	if python3 - "$2" <<'EOF'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
objs = [json.loads(l) for l in lines]
assert objs and objs[-1]["type"] == "summary", "no summary last"
assert all(o["type"] in ("session", "input-error", "summary") for o in objs)
assert sum(o["type"] == "summary" for o in objs) == 1
EOF
	then ok; else bad "$1: not valid NDJSON with a final summary"; fi
}
summary_field() { # FILE KEY
	python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])' "$1" "$2"
}

# --- help, version, usage errors
expect_exit help 0 "$BIN" --help
expect_grep help "$T/out" "Usage:"
expect_exit version 0 "$BIN" --version
for lib in PCRE2 zlib libarchive libplist; do expect_grep "version-$lib" "$T/out" "$lib"; done
expect_exit bad-option 2 "$BIN" --no-such-option
expect_grep bad-option "$T/err" "Try 'err53-logscan --help'"
expect_exit bad-format 2 "$BIN" --format=xml
expect_grep bad-format "$T/err" "unknown format"
expect_exit bad-jobs 2 "$BIN" -j 0
expect_exit bad-size 2 "$BIN" --max-line=abc

# --- empty input, stdin
: >"$T/empty.log"
expect_exit empty 0 "$BIN" --format=ndjson "$T/empty.log"
valid_ndjson empty "$T/out"
[ "$(summary_field "$T/out" sessions)" = 0 ] && ok || bad "empty: sessions not 0"
expect_exit stdin-empty 0 sh -c "\"$BIN\" --format=ndjson </dev/null"
valid_ndjson stdin-empty "$T/out"
expect_exit stdin-dash 0 sh -c "printf 'hello\nworld\n' | \"$BIN\" --format=ndjson -"
[ "$(summary_field "$T/out" lines)" = 2 ] && ok || bad "stdin-dash: lines != 2"

# --- missing and unreadable inputs: message, input-error, others analysed
printf 'a line\n' >"$T/a.log"
expect_exit missing 2 "$BIN" --format=ndjson "$T/nope.log" "$T/a.log"
expect_grep missing "$T/err" "err53-logscan: $T/nope.log: cannot open: No such file or directory"
expect_grep missing "$T/out" '"type":"input-error"'
[ "$(summary_field "$T/out" inputs)" = 2 ] && ok || bad "missing: inputs != 2"
[ "$(summary_field "$T/out" lines)" = 1 ] && ok || bad "missing: the readable input was not counted"
if [ "$(id -u)" -ne 0 ]; then
	printf 'x\n' >"$T/locked.log"; chmod 000 "$T/locked.log"
	expect_exit unreadable 2 "$BIN" "$T/locked.log"
	expect_grep unreadable "$T/err" "Permission denied"
fi

# --- gzip: multi-member and truncated
printf 'one\ntwo\n' | gzip -c >"$T/m.gz"
printf 'three\n' | gzip -c >>"$T/m.gz"
expect_exit gzip-multi 0 "$BIN" --format=ndjson "$T/m.gz"
[ "$(summary_field "$T/out" lines)" = 3 ] && ok || bad "gzip-multi: lines != 3"
head -c 20000 /dev/urandom | od -An -tx1 | gzip -c >"$T/big.gz"
size=$(wc -c <"$T/big.gz")
head -c $((size / 2)) "$T/big.gz" >"$T/cut.gz"
expect_exit gzip-truncated 2 "$BIN" --format=ndjson "$T/cut.gz"
expect_grep gzip-truncated "$T/out" '"type":"input-error"'
expect_grep gzip-truncated "$T/err" "truncated"
valid_ndjson gzip-truncated "$T/out"

# --- archives and folders
mkdir -p "$T/tree/sub"
printf 'b\n' >"$T/tree/b.log"; printf 'a\n' >"$T/tree/a.log"; printf 'c\nc\n' >"$T/tree/sub/c.log"
expect_exit folder 0 "$BIN" --format=ndjson "$T/tree"
[ "$(summary_field "$T/out" lines)" = 4 ] && ok || bad "folder: lines != 4"
(cd "$T" && tar -czf tree.tar.gz tree)
expect_exit tar-gz 0 "$BIN" --format=ndjson "$T/tree.tar.gz"
[ "$(summary_field "$T/out" lines)" = 4 ] && ok || bad "tar.gz: lines != 4"
ln -s .. "$T/tree/sub/loop"
expect_exit symlink-loop 2 "$BIN" --format=ndjson "$T/tree"
expect_grep symlink-loop "$T/err" "loop"
[ "$(summary_field "$T/out" lines)" = 4 ] && ok || bad "symlink-loop: other files not read"
rm "$T/tree/sub/loop"

# --- file lists
printf '%s\n%s\n' "$T/a.log" "$T/tree/b.log" >"$T/list"
expect_exit files-from 0 "$BIN" --format=ndjson --files-from="$T/list"
[ "$(summary_field "$T/out" inputs)" = 2 ] && ok || bad "files-from: inputs != 2"
printf '%s\0%s\0' "$T/a.log" "$T/tree/b.log" >"$T/list0"
expect_exit files0-from 0 "$BIN" --format=ndjson --files0-from="$T/list0"
[ "$(summary_field "$T/out" inputs)" = 2 ] && ok || bad "files0-from: inputs != 2"
expect_exit files-from-stdin 0 sh -c "\"$BIN\" --format=ndjson --files-from - <\"$T/list\""
[ "$(summary_field "$T/out" inputs)" = 2 ] && ok || bad "files-from-stdin: inputs != 2"
expect_exit files-from-missing 2 "$BIN" --files-from="$T/nolist"

# --- output file
expect_exit output-file 0 "$BIN" --format=ndjson -o "$T/report.ndjson" "$T/a.log"
valid_ndjson output-file "$T/report.ndjson"
[ ! -s "$T/out" ] && ok || bad "output-file: stdout not empty"

# --- fixtures: valid NDJSON, line counts equal wc -l, same output at -j 1 and -j 2
if [ -d "$FIX/logs" ]; then
	for f in "$FIX"/logs/*.log; do
		"$BIN" --format=ndjson "$f" >"$T/fx.out" 2>"$T/fx.err"
		rc=$?
		[ "$rc" -le 1 ] && ok || bad "fixture $f: exit $rc"
		valid_ndjson "fixture $f" "$T/fx.out"
		[ "$(summary_field "$T/fx.out" lines)" = "$(wc -l <"$f" | tr -d ' ')" ] && ok ||
			bad "fixture $f: summary lines != wc -l"
	done
	"$BIN" --format=ndjson -j 1 "$FIX"/logs/*.log >"$T/j1" 2>/dev/null
	"$BIN" --format=ndjson -j 2 "$FIX"/logs/*.log >"$T/j2" 2>/dev/null
	cmp -s "$T/j1" "$T/j2" && ok || bad "-j 2 output differs from -j 1"
fi

# --- -j with reports past the 1 MiB spill point: same bytes as -j 1,
# with a spill directory and without one (the worker then waits its turn)
if [ -d "$FIX/logs" ]; then
	for k in 1 2 3; do
		for r in $(seq 1 30); do cat "$FIX"/logs/*.log; done >"$T/many$k.log"
	done
	"$BIN" --format=ndjson -j 1 "$T"/many1.log "$T"/many2.log "$T"/many3.log >"$T/s1" 2>/dev/null
	[ "$(wc -c <"$T/s1")" -gt 2000000 ] && ok || bad "spill: reports too small to test spilling"
	"$BIN" --format=ndjson -j 3 "$T"/many1.log "$T"/many2.log "$T"/many3.log >"$T/s3" 2>/dev/null
	cmp -s "$T/s1" "$T/s3" && ok || bad "spill: -j 3 output differs from -j 1"
	TMPDIR=/nonexistent "$BIN" --format=ndjson -j 3 "$T"/many1.log "$T"/many2.log "$T"/many3.log >"$T/s4" 2>/dev/null
	cmp -s "$T/s1" "$T/s4" && ok || bad "spill: -j 3 without a spill directory differs from -j 1"
fi

# --- rules tooling
expect_exit check-rules 0 "$BIN" --check-rules
expect_grep check-rules "$T/out" "rules OK"
printf 'rule broken\n  pattern (unclosed\n  event outcome\n' >"$T/bad.rules"
expect_exit check-rules-bad 2 "$BIN" --check-rules="$T/bad.rules"
expect_grep check-rules-bad "$T/err" "$T/bad.rules:2:"
printf 'rule mine\n  pattern MyTool failed with (?<code>\\d+)\n  event outcome\n  match MyTool failed with 14\n  expect code=14\n' >"$T/good.rules"
expect_exit user-rules 1 sh -c "printf 'MyTool failed with 14\n' | \"$BIN\" --format=ndjson --rules=\"$T/good.rules\""
expect_grep user-rules "$T/out" '"code":14'
expect_exit list-rules 0 "$BIN" --list-rules
expect_grep list-rules "$T/out" "pattern"
expect_exit list-literals 0 "$BIN" --list-literals
[ -s "$T/out" ] && ok || bad "list-literals: empty"

# --- explain
expect_exit explain 0 "$BIN" --explain 4013
expect_grep explain "$T/out" "4013"
expect_grep explain "$T/out" "Next steps"
expect_exit explain-53 0 "$BIN" --explain=-53
expect_grep explain-53 "$T/out" "FDRFailure"
expect_exit explain-bad 2 "$BIN" --explain=abc

# --- redaction: no serial, ECID or UDID of the fixture survives, in any format
for fmt in text markdown csv ndjson events; do
	"$BIN" --redact --format=$fmt "$FIX/logs/idevicerestore-era2-53-cable.log" >"$T/red" 2>/dev/null
	if grep -qi "F2LW7XK3JC69\|a2aeaa50ff165\|2861937047105893\|71a3c0e94d25b8f6e1d07c3a9b52e4f80d6c1a37" "$T/red"; then
		bad "redact ($fmt): an identifier survived"
	else
		ok
	fi
done
"$BIN" --redact --format=ndjson "$FIX/logs/idevicerestore-era2-53-cable.log" >"$T/red" 2>/dev/null
grep -q '"serial":"SERIAL-' "$T/red" && ok || bad "redact: no serial placeholder"
"$BIN" --redact --format=csv -j 1 "$FIX"/logs/*.log >"$T/r1" 2>/dev/null
"$BIN" --redact --format=csv -j 2 "$FIX"/logs/*.log >"$T/r2" 2>/dev/null
cmp -s "$T/r1" "$T/r2" && ok || bad "redact: placeholders differ between -j 1 and -j 2"

# --- terminal manners: a progress line only when stderr is a terminal
if command -v script >/dev/null 2>&1; then
	script -qc "sh -c '(cat \"$FIX/logs/itunes-mac-53-mesa.log\"; sleep 1.6) | \"$BIN\" -o /dev/null -'" /dev/null >"$T/tty" 2>&1
	grep -q "inputs, " "$T/tty" && ok || bad "progress: no progress line on a terminal"
	script -qc "sh -c '(cat \"$FIX/logs/itunes-mac-53-mesa.log\"; sleep 1.6) | \"$BIN\" -q -o /dev/null -'" /dev/null >"$T/tty" 2>&1
	grep -q "inputs, " "$T/tty" && bad "progress: shown despite --quiet" || ok
fi
sh -c "(cat \"$FIX/logs/itunes-mac-53-mesa.log\"; sleep 1.6) | \"$BIN\" -o /dev/null -" 2>"$T/err"
grep -q "inputs, " "$T/err" && bad "progress: shown when stderr is not a terminal" || ok
# colour: only on request or a terminal, never with NO_COLOR
"$BIN" --color=always "$FIX/logs/itunes-mac-53-mesa.log" >"$T/out" 2>/dev/null
grep -q "$(printf '\033')\[" "$T/out" && ok || bad "color=always: no escape sequences"
"$BIN" "$FIX/logs/itunes-mac-53-mesa.log" >"$T/out" 2>/dev/null
grep -q "$(printf '\033')" "$T/out" && bad "colour in a pipe" || ok
expect_exit color-bad 2 "$BIN" --color=sometimes

# --- the inflate thread (pipeline) changes nothing but speed: the same
# report, messages and status with and without it, on gzip of many blocks,
# a tar.gz, a truncated gzip and a gzip cut by --max-member-bytes
for f in "$FIX"/logs/*.log; do cat "$f" "$f" "$f"; done >"$T/pp.log"
for k in 1 2 3 4 5 6 7 8; do cat "$T/pp.log"; done | gzip -c >"$T/pp.gz"
head -c 30000 "$T/pp.gz" >"$T/pp-cut.gz"
(cd "$FIX" && tar -czf "$T/pp.tar.gz" logs)
for c in "pp.gz" "pp.tar.gz" "pp-cut.gz" "--max-member-bytes=300K pp.gz"; do
	# shellcheck disable=SC2086
	(cd "$T" && "$BIN" --format=ndjson $c >"$T/p1" 2>"$T/e1"; echo $? >"$T/s1"
	 "$BIN" --format=ndjson --no-pipeline $c >"$T/p2" 2>"$T/e2"; echo $? >"$T/s2")
	if cmp -s "$T/p1" "$T/p2" && cmp -s "$T/e1" "$T/e2" && cmp -s "$T/s1" "$T/s2" && [ -s "$T/p1" ]; then
		ok
	else
		bad "pipeline ($c): output, messages or status differ from --no-pipeline"
	fi
done
grep -q "more than 307200 bytes" "$T/e1" && ok || bad "pipeline: the cut member's message is missing"

# --- the matcher thread (parse pipeline) changes nothing but speed: a
# plain log of many blocks mixing CRLF lines, terminal colours, GUI-quoted
# lines, progress redraws with bare CRs, lines longer than --max-line and
# lines spanning blocks, and `tail` headers gives the same report in every
# format either way
python3 - "$FIX/logs" "$T/mix.log" <<'PYEOF'
import os, sys
src, out = sys.argv[1], sys.argv[2]
logs = [open(os.path.join(src, f), "rb").read() for f in sorted(os.listdir(src)) if f.endswith(".log")]
parts = []
k = 0
while sum(map(len, parts)) < 3_000_000:
    for text in logs:
        for line in text.splitlines(True):
            k += 1
            if k % 97 == 0:
                line = b"\x1b[1;31m" + line.rstrip(b"\n") + b"\x1b[0m\n"
            elif k % 89 == 0:
                line = b'2024-05-01 10:00:00 [GUI] "' + line.rstrip(b"\r\n") + b'\\n"\n'
            elif k % 83 == 0:
                line = line.rstrip(b"\n") + b"\r\n"
            elif k % 211 == 0:
                line = b"[====      ] 40%\r[==========] 100%\r" + line
            elif k % 1009 == 0:
                line = b"x" * 70000 + line
            elif k % 3001 == 0:
                line = b"==> /var/log/restore-%d.log <==\n" % k + line
            parts.append(line)
open(out, "wb").write(b"".join(parts))
PYEOF
for fmt in ndjson text csv events markdown; do
	for extra in "" "--max-line=120"; do
		# shellcheck disable=SC2086
		"$BIN" --format=$fmt $extra "$T/mix.log" >"$T/m1" 2>"$T/me1"; s1=$?
		# shellcheck disable=SC2086
		"$BIN" --format=$fmt $extra --no-pipeline "$T/mix.log" >"$T/m2" 2>"$T/me2"; s2=$?
		if [ "$s1" = "$s2" ] && cmp -s "$T/m1" "$T/m2" && cmp -s "$T/me1" "$T/me2" && [ -s "$T/m1" ]; then
			ok
		else
			bad "parse pipeline ($fmt $extra): report, messages or status differ from --no-pipeline"
		fi
	done
done

# the portable literal scan gives the same report as the AVX2 one
E53_NO_AVX2=1 "$BIN" --version >"$T/v" 2>/dev/null
grep -q "literal scan: scalar" "$T/v" && ok || bad "E53_NO_AVX2: --version does not name the scalar scan"
"$BIN" --format=ndjson "$T/mix.log" >"$T/m1" 2>/dev/null
E53_NO_AVX2=1 "$BIN" --format=ndjson "$T/mix.log" >"$T/m2" 2>/dev/null
cmp -s "$T/m1" "$T/m2" && [ -s "$T/m1" ] && ok || bad "E53_NO_AVX2: the report differs from the default scan's"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
