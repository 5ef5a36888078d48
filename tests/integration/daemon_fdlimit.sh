#!/usr/bin/env bash
# superfluidd at its file-descriptor limit (docs/outages.md): a real daemon
# on host1 whose RLIMIT_NOFILE is brought down (prlimit) to what it uses
# plus a few, then 60 clients connect at once and send nothing:
#  - the daemon neither dies nor spins (its CPU time over 3 s at the
#    limit stays under 0.5 s: the acceptor pauses instead of retrying a
#    full fd table at once);
#  - the log says "out of file descriptors" once (once a minute at most);
#  - once the clients close, ADDs and DELs are served again at once.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=daemon_fdlimit
ENV_TOOLS="jq socat curl openstack ip ping prlimit"
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

CLIENTS=60
testnet sg
SF_DAEMON_INI="workers = 4" ready_instance a host1 2 60 p:net:sg min=2 max=2 batch=2
A=$INSTANCE
sock=$(scripts/sfhost sock "$A")
pid=$(cat "$(scripts/sfhost dir "$A")/pid")
used=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
lim=$(( used + 8 ))
prlimit --pid "$pid" --nofile="$lim:$lim" || die "prlimit on $pid"
say "the daemon uses $used fds; its limit is now $lim"
log0=$(( $(instance_log "$A" | wc -l) + 1 ))

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
for _ in $(seq 1 "$CLIENTS"); do silent_client "$sock"; done
at_limit() { [ "$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)" -ge "$lim" ]; }
check "the daemon reaches its limit ($lim fds)" wait_until 10 at_limit
t0=$(cpu_ticks)
sleep 3
ticks=$(( $(cpu_ticks) - t0 ))
hz=$(getconf CLK_TCK)
check "... and does not spin there ($ticks ticks of CPU in 3 s < $(( hz / 2 )))" test "$ticks" -lt $(( hz / 2 ))
check "the daemon lives (pid $pid)" test -d "/proc/$pid"
n=$(instance_log "$A" | tail -n +"$log0" | grep -c 'out of file descriptors')
check "the log says it is out of file descriptors, once ($n)" test "$n" = 1

clients_cleanup
mk_netns ns x
t0=$(date +%s%N)
ok_add() { cni ADD "$NAME-x" "/run/netns/$ns" eth0 "$cf" && [ "$rc" = 0 ]; }
if wait_until 15 ok_add; then
	back_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	pass "an ADD is served $back_ms ms after the clients closed ($took_ms ms)"
else
	fail "ADD after the clients closed: rc $rc $out"
fi
cni DEL "$NAME-x" "/run/netns/$ns" eth0 "$cf"
expect "DEL" 0 ""
check "the daemon lives" test -d "/proc/$pid"
check "Neutron's ports tagged for $A are the store's" wait_until 20 ports_agree "$A"

say "figures:"
say "    $CLIENTS clients at a limit of $lim fds ($used used): $ticks CPU ticks in 3 s, $n log line; ADD served ${back_ms:-?} ms after they closed"
finish
