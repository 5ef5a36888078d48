#!/usr/bin/env bash
# The CNI plugin binary, build/superfluid, as a runtime runs it:
#  - VERSION is answered by the plugin itself, for every cniVersion;
#  - with no daemon listening: STATUS is code 50, the other verbs code 11;
#  - bad stdin and bad environment give the spec's codes;
#  - forwarding: a tiny fake daemon (python3) on a unix socket in a temp dir
#    records what the plugin sends and answers a canned reply.  That checks
#    the plugin's forwarding only (what it sends, that it prints the reply
#    verbatim and exits with its code), not the daemon.
# Exit 0: all passed; 1: a check failed; 77: skipped (plugin not built).
set -u
cd "$(dirname "$0")/../.."
B=${SF_BUILD:-${O:-build}}
P=$PWD/$B/superfluid
[ -x "$P" ] || { echo "SKIP: $P is not built (make first)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

tmp=$(mktemp -d /tmp/sf-cni-plugin.XXXXXX)
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

# run STDIN_FILE VAR=VALUE...: runs the plugin with only the given
# environment (and the sanitizers' options); sets $out, $err and $rc.
run() {
	local in=$1; shift
	out=$(env -i PATH=/usr/bin:/bin ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
		${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} "$@" "$P" < "$in" 2> "$tmp/stderr")
	rc=$?
	err=$(cat "$tmp/stderr")
}

# expect NAME RC PYTHON-EXPR: checks the exit code and evaluates the
# expression with d = the JSON the plugin printed.
expect() {
	local name=$1 want_rc=$2 expr=$3
	if [ "$rc" != "$want_rc" ]; then
		fail "$name: exit $rc, want $want_rc; stdout: $out; stderr: $err"
		return
	fi
	if OUT=$out python3 -c "
import json, os, sys
d = json.loads(os.environ['OUT'])
sys.exit(0 if ($expr) else 1)" 2> "$tmp/pyerr"; then
		pass "$name"
	else
		fail "$name: '$expr' is false for: $out $(cat "$tmp/pyerr")"
	fi
}

conf() { # VERSION [EXTRA-MEMBERS] > file
	printf '{"cniVersion":"%s","name":"testnet","type":"superfluid","network":"private"%s}' \
		"$1" "${2:-}"
}

none=$tmp/none.sock
base=(CNI_CONTAINERID=c1 CNI_NETNS=/run/netns/c1 CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin)

echo "== VERSION, answered locally (the socket points nowhere)"
for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
	printf '{"cniVersion":"%s"}' "$v" > "$tmp/in"
	run "$tmp/in" CNI_COMMAND=VERSION SUPERFLUID_SOCKET="$none"
	expect "VERSION $v" 0 "d == {'cniVersion': '$v', 'supportedVersions': ['0.3.1', '0.4.0', '1.0.0', '1.1.0']}"
done
: > "$tmp/in"
run "$tmp/in" CNI_COMMAND=VERSION
expect "VERSION without stdin" 0 "d['cniVersion'] == '1.1.0' and len(d['supportedVersions']) == 4"
conf 1.0.0 > "$tmp/in"
run "$tmp/in" CNI_COMMAND=VERSION
expect "VERSION with a whole network config" 0 "d['cniVersion'] == '1.0.0'"
printf '{"cniVersion":' > "$tmp/in"
run "$tmp/in" CNI_COMMAND=VERSION
expect "VERSION with malformed stdin" 1 "d['code'] == 6"

echo "== no daemon listening"
conf 1.1.0 > "$tmp/in"
run "$tmp/in" CNI_COMMAND=STATUS CNI_PATH=/opt/cni/bin SUPERFLUID_SOCKET="$none"
expect "STATUS -> 50" 1 "d['code'] == 50 and '$none' in d['msg'] and d['cniVersion'] == '1.1.0'"
conf 1.0.0 > "$tmp/in"
for verb in ADD DEL CHECK; do
	run "$tmp/in" CNI_COMMAND=$verb "${base[@]}" SUPERFLUID_SOCKET="$none"
	expect "$verb -> 11 (try again later)" 1 \
		"d['code'] == 11 and '$none' in d['msg'] and d['cniVersion'] == '1.0.0'"
done
[[ $err == *"not reachable"* ]] && pass "the error is logged on stderr" ||
	fail "nothing on stderr: $err"
# The socket from the config is used when SUPERFLUID_SOCKET is unset.
conf 1.0.0 ",\"socket\":\"$tmp/from-config.sock\"" > "$tmp/in"
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}"
expect "config 'socket' is used" 1 "d['code'] == 11 and 'from-config.sock' in d['msg']"
# The default socket, unless a real daemon listens there (never ADD to it).
if [ ! -e /run/superfluid/superfluid.sock ]; then
	conf 1.0.0 > "$tmp/in"
	run "$tmp/in" CNI_COMMAND=ADD "${base[@]}"
	expect "default socket" 1 "d['code'] == 11 and '/run/superfluid/superfluid.sock' in d['msg']"
fi

echo "== bad input"
printf '{"cniVersion":"1.0.0","name":' > "$tmp/in"
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}" SUPERFLUID_SOCKET="$none"
expect "malformed stdin -> 6" 1 "d['code'] == 6 and 'decode' in d['msg']"
: > "$tmp/in"
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}" SUPERFLUID_SOCKET="$none"
expect "empty stdin -> 6" 1 "d['code'] == 6"
python3 -c "print('{\"cniVersion\":\"1.0.0\",\"pad\":\"' + 'x' * 140000 + '\"}')" > "$tmp/in"
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}" SUPERFLUID_SOCKET="$none"
expect "stdin over 128 KiB -> 6" 1 "d['code'] == 6 and 'larger than' in d['msg']"
conf 1.0.0 ',"socket":7' > "$tmp/in"
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}"
expect "'socket' of the wrong type -> 7" 1 "d['code'] == 7 and 'socket' in d['msg']"
conf 1.0.0 > "$tmp/in"
run "$tmp/in" "${base[@]}"
expect "no CNI_COMMAND -> 4" 1 "d['code'] == 4 and 'CNI_COMMAND' in d['msg']"
run "$tmp/in" CNI_COMMAND=FROB "${base[@]}"
expect "unknown CNI_COMMAND -> 4" 1 "d['code'] == 4 and 'FROB' in d['msg']"
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}" SUPERFLUID_TIMEOUT=soon
expect "bad SUPERFLUID_TIMEOUT -> 4" 1 "d['code'] == 4 and 'SUPERFLUID_TIMEOUT' in d['msg']"
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}" SUPERFLUID_SOCKET=relative.sock
expect "relative SUPERFLUID_SOCKET -> 4" 1 "d['code'] == 4"

echo "== forwarding, against a fake daemon (tests the plugin only)"
sock=$tmp/fake.sock
cat > "$tmp/fake_daemon.py" <<'EOF'
# Serves one connection per line of the plan file: reads the request to
# EOF, saves it as request-N, then answers per the plan: "reply FILE" sends
# FILE's bytes, "close" closes without a word, "hold" waits for the plugin
# to give up.
import os, select, socket, sys
path, plan, outdir = sys.argv[1:4]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path + ".tmp")
os.rename(path + ".tmp", path)   # appears only once bound
srv.listen(8)
for n, line in enumerate(open(plan).read().splitlines()):
    conn, _ = srv.accept()
    data = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    open(os.path.join(outdir, "request-%d" % n), "wb").write(data)
    how, _, arg = line.partition(" ")
    if how == "reply":
        conn.sendall(open(arg, "rb").read())
    elif how == "hold":
        # Until the plugin closes its end (HUP), at most 10 s.
        p = select.poll()
        p.register(conn, 0)
        p.poll(10000)
    conn.close()
EOF
result='{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"fa:16:3e:00:00:01","sandbox":"/run/netns/c1"}],"ips":[{"address":"198.18.0.5/24","interface":0}]}'
RESULT=$result python3 -c 'import json,os; print(json.dumps({"exit":0,"stdout":os.environ["RESULT"]+"\n"}))' > "$tmp/reply-ok"
printf '%s' '{"exit":1,"stdout":"{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"pool empty\"}\n"}' > "$tmp/reply-err"
printf '%s' '{"exit":0,"stdout":' > "$tmp/reply-bad"
cat > "$tmp/plan" <<EOF
reply $tmp/reply-ok
reply $tmp/reply-err
reply $tmp/reply-bad
close
hold
reply $tmp/reply-ok
EOF
python3 "$tmp/fake_daemon.py" "$sock" "$tmp/plan" "$tmp" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || { fail "fake daemon did not start"; exit 1; }

# 0: success; stdin with characters JSON must escape, sent byte for byte.
printf '{"cniVersion":"1.0.0","name":"testnet","type":"superfluid","network":"private",\n\t"x":"q\\"\xc3\xa9"}\n' > "$tmp/in"
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}" CNI_ARGS='IgnoreUnknown=1;K8S_POD_NAME=web-0' \
	SUPERFLUID_SOCKET="$sock"
if [ "$rc" = 0 ] && [ "$out" = "$result" ]; then pass "ADD prints the daemon's stdout, exit 0"
else fail "ADD forwarding: rc=$rc out=$out err=$err"; fi
IN=$tmp/in REQ=$tmp/request-0 python3 -c '
import json, os, sys
req = json.load(open(os.environ["REQ"], "rb"))
stdin = open(os.environ["IN"], "rb").read().decode()
env = {"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/run/netns/c1",
       "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin",
       "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAME=web-0"}
sys.exit(0 if req == {"version": 1, "env": env, "stdin": stdin} else 1)' &&
	pass "the daemon got version 1, the CNI env and stdin verbatim" ||
	fail "request as received: $(cat "$tmp/request-0")"

# 1: the daemon's error, printed verbatim, exit 1.
conf 1.0.0 > "$tmp/in"
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}" SUPERFLUID_SOCKET="$sock"
expect "a daemon error is printed as is, exit 1" 1 "d == {'cniVersion': '1.0.0', 'code': 11, 'msg': 'pool empty'}"

# 2: a malformed reply.
run "$tmp/in" CNI_COMMAND=DEL "${base[@]}" SUPERFLUID_SOCKET="$sock"
expect "malformed reply -> 999" 1 "d['code'] == 999 and 'malformed' in d['msg']"

# 3: the daemon hangs up without answering.
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}" SUPERFLUID_SOCKET="$sock"
expect "no reply -> 11" 1 "d['code'] == 11"

# 4: the daemon never answers: SUPERFLUID_TIMEOUT bounds the wait.
start=$(date +%s%N)
run "$tmp/in" CNI_COMMAND=ADD "${base[@]}" SUPERFLUID_SOCKET="$sock" SUPERFLUID_TIMEOUT=1
took=$((($(date +%s%N) - start) / 1000000))
expect "timeout -> 11" 1 "d['code'] == 11 and 'did not answer ADD within 1 s' in d['msg']"
[ "$took" -ge 900 ] && [ "$took" -lt 5000 ] && pass "gave up after ${took} ms" ||
	fail "timeout took ${took} ms"

# 5: the config's socket, when SUPERFLUID_SOCKET is unset.
conf 1.1.0 ",\"socket\":\"$sock\"" > "$tmp/in"
run "$tmp/in" CNI_COMMAND=STATUS CNI_PATH=/opt/cni/bin
[ "$rc" = 0 ] && [ "$out" = "$result" ] && pass "STATUS reaches the daemon via 'socket'" ||
	fail "STATUS via config socket: rc=$rc out=$out err=$err"

wait "$daemon_pid"
daemon_pid=

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
