#!/bin/sh
# Golden tests: every report format of the fixtures compared with the
# expected files (scripts/update-expected rewrites them for review).
# Usage: sh tests/golden/run.sh BIN [--update]
set -u
BIN=$1
UPDATE=${2:-}
export LC_ALL=C NO_COLOR=1
E=tests/golden/expected
T=$(mktemp -d /tmp/err53-golden.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
while read -r name args; do
	case $name in ''|'#'*) continue ;; esac
	for fmt in text markdown csv ndjson; do
		# shellcheck disable=SC2086
		"$BIN" --format=$fmt $args >"$T/out" 2>"$T/err"
		rc=$?
		if [ "$fmt" = text ]; then
			{ echo "exit $rc"; cat "$T/err"; } >"$T/status"
		fi
		if [ -n "$UPDATE" ]; then
			cp "$T/out" "$E/$name.$fmt"
			[ "$fmt" = text ] && cp "$T/status" "$E/$name.status"
			continue
		fi
		if cmp -s "$T/out" "$E/$name.$fmt"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $name.$fmt differs:"
			diff -u "$E/$name.$fmt" "$T/out" | head -20
		fi
		if [ "$fmt" = text ]; then
			if cmp -s "$T/status" "$E/$name.status"; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
				echo "FAIL: $name.status differs:"
				diff -u "$E/$name.status" "$T/status" | head -10
			fi
		fi
	done
done <tests/golden/cases
if [ -n "$UPDATE" ]; then
	echo "update-expected: rewrote $E; review with git diff"
	exit 0
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
