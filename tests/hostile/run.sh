#!/bin/sh
# Hostile inputs, each a test: a clear message on stderr in the form
# "err53-logscan: PATH[:MEMBER]: what happened", an input-error line where an
# input was cut or refused, the other inputs still analysed, exit status 2
# where something was refused, no crash, and peak memory within the caps.
# Usage: sh tests/hostile/run.sh BIN      (RSS_LIMIT_KB: memory bound)
set -u
BIN=$1
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
RSS_LIMIT_KB=${RSS_LIMIT_KB:-32768}
export LC_ALL=C NO_COLOR=1
T=$(mktemp -d /tmp/err53-hostile.XXXXXX)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

GOOD=$(pwd)/fixtures/logs/idevicerestore-era2-53-cable.log

# run NAME ARGS...: stdout $T/out, stderr $T/err, exit $T/rc, peak RSS (KiB) $T/rss
run() {
	name=$1
	shift
	/usr/bin/time -f %M -o "$T/rss" "$BIN" --format=ndjson "$@" >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
}
expect() { # NAME WANT_RC STDERR_PATTERN INPUT_ERRORS
	name=$1
	rc=$(cat "$T/rc")
	[ "$rc" -eq "$2" ] && ok || bad "$name: exit $rc, expected $2 ($(head -c 300 "$T/err"))"
	[ "$rc" -lt 128 ] && ok || bad "$name: killed by a signal"
	if [ -n "$3" ]; then
		grep -q -- "$3" "$T/err" && ok || bad "$name: stderr lacks '$3': $(head -c 300 "$T/err")"
		grep -q "^err53-logscan: " "$T/err" && ok || bad "$name: stderr message not in the err53-logscan: PATH: form"
	fi
	n=$(grep -c '"type":"input-error"' "$T/out")
	[ "$n" -eq "$4" ] && ok || bad "$name: $n input-error lines, expected $4"
	grep -q -i "AddressSanitizer\|runtime error\|LeakSanitizer" "$T/err" && bad "$name: sanitizer report" || ok
	rss=$(tail -n 1 "$T/rss")
	[ "$rss" -le "$RSS_LIMIT_KB" ] && ok || bad "$name: peak RSS $rss KiB > $RSS_LIMIT_KB KiB"
	tail -n 1 "$T/out" | grep -q '"type":"summary"' && ok || bad "$name: no summary line"
}
good_still_read() { # NAME: the good input beside the hostile one gave its session
	grep -q '"verdict":"cable-fault"' "$T/out" && ok || bad "$1: the other input was not analysed"
}

# 1. gzip bomb: a few KB inflating past the per-member cap
head -c 20000000 /dev/zero | tr '\0' '\n' | gzip -9 >"$T/bomb.gz"
[ "$(wc -c <"$T/bomb.gz")" -lt 100000 ] && ok || bad "gzip bomb too large to be a bomb"
run gzip-bomb --max-member-bytes=1M "$T/bomb.gz" "$GOOD"
expect gzip-bomb 2 "bomb.gz: more than 1048576 bytes after decompression (--max-member-bytes)" 1
good_still_read gzip-bomb

# 2. zip bomb: one deflated member far past the cap
python3 - "$T/bomb.zip" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("restore.log", "w") as f:
        for _ in range(64):
            f.write(b"a line of a log that repeats\n" * 36000)
EOF
run zip-bomb --max-member-bytes=2M "$T/bomb.zip" "$GOOD"
expect zip-bomb 2 "bomb.zip:restore.log: more than 2097152 bytes" 1
good_still_read zip-bomb

# 3. a tar with 100,000 tiny members
python3 - "$T/many.tar.gz" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz", compresslevel=1) as t:
    for i in range(100000):
        data = b"line %d\n" % i
        info = tarfile.TarInfo("m/%06d.log" % i)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
EOF
run tar-100k-members "$T/many.tar.gz" "$GOOD"
expect tar-100k-members 2 "many.tar.gz: more than 50000 archive members (--max-members)" 1
good_still_read tar-100k-members

# 4. a plist nested 200,000 deep inside a sysdiagnose archive
python3 - "$T" <<'EOF'
import io, os, struct, sys, tarfile
n = 200000
# object i is a one-element array holding a reference to object i + 1
objs = [bytes([0xA1]) + struct.pack(">I", i + 1) for i in range(n)] + [bytes([0xA0])]
body = b"bplist00"
offsets = []
for o in objs:
    offsets.append(len(body))
    body += o
table = len(body)
body += b"".join(struct.pack(">I", off) for off in offsets)
body += b"\0" * 6 + bytes([4, 4]) + struct.pack(">QQQ", len(objs), 0, table)
root = "sysdiagnose_2025.01.02_03-04-05+0100_iPhone-OS_iPhone_21C66/"
files = {root + "logs/SystemVersion/SystemVersion.plist": body,
         root + "sysdiagnose.log": b"2025-01-02 03:04:05: sysdiagnose started\n"}
with tarfile.open(os.path.join(sys.argv[1], "deep.tar.gz"), "w:gz") as t:
    for name, data in files.items():
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
EOF
run plist-200000-deep "$T/deep.tar.gz" "$GOOD"
expect plist-200000-deep 2 "SystemVersion.plist: property list nested deeper than 64 levels" 1
good_still_read plist-200000-deep

# 5. a 100 MB single line
head -c 100000000 /dev/zero | tr '\0' 'a' >"$T/line.log"
echo >>"$T/line.log"
cat "$GOOD" >>"$T/line.log"
run 100mb-line "$T/line.log"
expect 100mb-line 2 "line.log: 1 line(s) longer than 65536 bytes were cut" 1
good_still_read 100mb-line

# 6. an endless input on stdin, cut by the byte cap
/usr/bin/time -f %M -o "$T/rss" sh -c "yes 'Status: Restore Finished' | \"$BIN\" --format=ndjson --max-member-bytes=20M -" >"$T/out" 2>"$T/err"
echo $? >"$T/rc"
expect endless-stdin 2 "(standard input): more than 20971520 bytes" 1

# 7. a FIFO
mkfifo "$T/fifo"
(cat "$GOOD" >"$T/fifo") &
run fifo "$T/fifo"
wait
expect fifo 1 "" 0
good_still_read fifo

# 8. an unreadable file (root reads everything: run as nobody when possible)
cp "$GOOD" "$T/locked.log"
chmod 000 "$T/locked.log"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$T"
	cp "$GOOD" "$T/good.log" && chmod 644 "$T/good.log"
	/usr/bin/time -f %M -o "$T/rss" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BIN" --format=ndjson "$T/locked.log" "$T/good.log" >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
	expect unreadable 2 "locked.log: cannot open: Permission denied" 1
	good_still_read unreadable
elif [ "$(id -u)" -ne 0 ]; then
	run unreadable "$T/locked.log" "$GOOD"
	expect unreadable 2 "locked.log: cannot open: Permission denied" 1
	good_still_read unreadable
fi

# 9. a symlink loop in a folder
mkdir -p "$T/tree/sub"
cp "$GOOD" "$T/tree/a.log"
ln -s .. "$T/tree/sub/loop"
run symlink-loop "$T/tree"
expect symlink-loop 2 "tree/sub/loop: directory loop" 1
good_still_read symlink-loop

# 10. a file that grows, and one that shrinks, while read: the kernel's own
# files report a size at open that their reads do not match
run grows /proc/self/status "$GOOD"
expect grows 1 "/proc/self/status: file grew while being read" 0
if [ -r /sys/kernel/mm/transparent_hugepage/enabled ]; then
	run shrinks /sys/kernel/mm/transparent_hugepage/enabled "$GOOD"
	expect shrinks 2 "enabled: file shrank while being read" 1
fi
# and for real: a 200 MB file truncated by another process while read
head -c 200000000 /dev/zero | tr '\0' '\n' >"$T/big.log"
( sleep 0.05; : >"$T/big.log" ) &
run shrink-live "$T/big.log"
wait
rc=$(cat "$T/rc")
if grep -q "shrank while being read" "$T/err"; then
	[ "$rc" -eq 2 ] && ok || bad "shrink-live: exit $rc, expected 2"
else
	ok # the read won the race: nothing to check but the absence of a crash
fi
[ "$rc" -lt 128 ] && ok || bad "shrink-live: killed by a signal"

# 11. a UTF-16 log with a byte order mark: decoded, same result as UTF-8
python3 - "$GOOD" "$T/utf16.log" <<'EOF'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "wb").write(b"\xff\xfe" + text.encode("utf-16-le"))
EOF
run utf16 "$T/utf16.log"
expect utf16 1 "" 0
good_still_read utf16

# 12. random binary
head -c 3000000 /dev/urandom >"$T/random.bin"
run random-binary "$T/random.bin" "$GOOD"
expect random-binary 1 "random.bin: binary data; no restore log found" 0
good_still_read random-binary

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
