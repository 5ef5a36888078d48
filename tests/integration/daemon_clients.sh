#!/usr/bin/env bash
# Clients that connect to superfluidd's socket and never send a whole
# request, against a real daemon on host1 with 2 request workers
# (docs/outages.md):
#  - one silent client: a warm ADD beside it is answered at once;
#  - as many clients as workers, each trickling a byte a second (every
#    read within the socket's timeout): both workers are held, yet an ADD
#    is answered within the 10 s I/O timeout (+ slack), since a request must
#    arrive whole within it; the daemon lives on and logs it once per
#    client, rate-limited.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=daemon_clients
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

IO_S=10     # the server's I/O timeout
testnet sg
SF_DAEMON_INI="workers = 2" ready_instance a host1 3 60 p:net:sg min=3 max=3 batch=3
A=$INSTANCE
sock=$(scripts/sfhost sock "$A")
pid=$(cat "$(scripts/sfhost dir "$A")/pid")

# A byte a second for a minute: each read within the socket's timeout.
trickle() {
	(for _ in $(seq 1 60); do printf x; sleep 1; done) |
		socat -u - "UNIX-CONNECT:$sock" > /dev/null 2>&1 &
	client_pids+=($!)
}
add() { # LABEL
	mk_netns "ns_$1" "$1"
	local ns=ns_$1
	cni ADD "$NAME-$1" "/run/netns/${!ns}" eth0 "$cf"
}
log0=$(( $(instance_log "$A" | wc -l) + 1 ))

silent_client "$sock"
sleep 0.5
add a1
expect "ADD beside a silent client ($took_ms ms)" 0 '.ips[0].address != null'
check "... at once ($took_ms ms < 1000)" test "$took_ms" -lt 1000
clients_cleanup

trickle
trickle
sleep 0.5
add a2
expect "ADD with both workers held by clients that never finish ($took_ms ms)" 0 \
	'.ips[0].address != null'
held_ms=$took_ms
check "... within the I/O timeout + 3 s ($took_ms ms)" test "$took_ms" -lt $(( (IO_S + 3) * 1000 ))
check "... after waiting for a worker: both were held ($took_ms ms >= 5000)" test "$took_ms" -ge 5000
add a3
expect "the next ADD ($took_ms ms)" 0 '.ips[0].address != null'
check "the daemon lives (pid $pid)" test -d "/proc/$pid"
n=$(instance_log "$A" | tail -n +"$log0" | grep -c 'sent no whole request within')
check "the log says so, once per client ($n line(s), 2 or 3)" test "$n" -ge 2 -a "$n" -le 3
clients_cleanup
for l in a1 a2 a3; do
	ns=ns_$l
	cni DEL "$NAME-$l" "/run/netns/${!ns}" eth0 "$cf"
	expect "DEL $l" 0 ""
done
say "figures:"
say "    2 workers, both held by trickling clients: an ADD answered after $held_ms ms"
finish
