#!/usr/bin/env bash
# The disk under state_dir full, against a real superfluidd on host1 whose
# state_dir is a 1 MiB tmpfs (mounted on its own state folder, unmounted by
# the trap) that the test fills with a file (docs/outages.md):
#  - an ADD answers code 11 (not 999) at once, saying the state database
#    cannot be written, leaves nothing in the container and its port READY;
#  - /readyz answers 503 naming the state database; the metric
#    superfluid_store_write_failures_total{reason="no_space"} counts;
#  - 15 such ADDs log one "cannot be written" warning and at most a burst
#    of per-request lines (rate-limited);
#  - once the file is gone: /readyz ready again within seconds (the
#    prober's small write), ADD and DEL work, Neutron's ports are the
#    store's.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=daemon_disk
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

testnet sg
ready_instance a host1 2 60 on_demand=true cold_add_timeout=4 cooldown_ms=300 \
	p:net:sg min=2 max=2 batch=2
A=$INSTANCE
sd=$(scripts/sfhost dir "$A")/state
mounted=""
disk_cleanup() {
	[ -n "$mounted" ] || return 0
	scripts/sfhost stop "$A" > /dev/null 2>&1   # its files live on the tmpfs
	umount "$mounted" || umount -l "$mounted" || say "FAIL: unmounting $mounted"
	mounted=""
}
at_exit 25 disk_cleanup

# The daemon's state moves to a small tmpfs, with the daemon stopped.
scripts/sfhost stop "$A" > /dev/null || die "stopping $A"
cp -a "$sd" "$tmp/state" || die "copying the state"
mount -t tmpfs -o size=1m,mode=0700 "sfit-$RND" "$sd" || die "mounting a tmpfs on $sd"
mounted=$sd
cp -a "$tmp/state/." "$sd/" || die "copying the state back"
scripts/sfhost restart "$A" > /dev/null || die "restarting $A on the tmpfs"
wait_pool "$A" p 2 30
say "state_dir $sd: $(df -h --output=size,used "$sd" | tail -1)"

readyz() { # -> the status code; the body in $tmp/readyz
	ip netns exec sf-host1 curl -s -o "$tmp/readyz" -w '%{http_code}' \
		"http://$(scripts/sfhost metrics "$A")/readyz"
}
ready_is() { [ "$(readyz)" = "$1" ]; }
nospace='superfluid_store_write_failures_total{reason="no_space"}'
check "/readyz is ready before" ready_is 200

log0=$(( $(instance_log "$A" | wc -l) + 1 ))
dd if=/dev/zero of="$sd/filler" bs=4k 2> /dev/null
say "filled: $(df -h --output=avail "$sd" | tail -1 | tr -d ' ') left"

mk_netns ns x
cni ADD "$NAME-x" "/run/netns/$ns" eth0 "$cf"
expect "ADD with the disk full: code 11 after $took_ms ms" 1 \
	'.code == 11 and (.msg | test("state database .* cannot be written"))'
say "    its message: $(jq -r .msg <<< "$out")"
full_ms=$took_ms
check "... at once ($took_ms ms < 1000)" test "$took_ms" -lt 1000
check "... and the container holds no interface" test -z "$(links_of "$ns")"
check "... and the pool's ports are still ready" test "$(pool_field "$A" p ready)" = 2
check "/readyz: 503 while the store cannot write" wait_until 5 ready_is 503
check "... naming the state database ($(cat "$tmp/readyz"))" grep -q "state database" "$tmp/readyz"
writable() { [ "$(ctl "$A" health | jq -r .store.writable)" = "$1" ]; }
check "{\"ctl\":\"health\"}: the store is not writable" writable false
check "metrics: $nospace counts ($(instance_metric host1 "$A" "$nospace"))" \
	test "$(instance_metric host1 "$A" "$nospace")" -ge 1
for i in $(seq 1 15); do
	cni ADD "$NAME-x$i" "/run/netns/$ns" eth0 "$cf"
	if ! { [ "$rc" = 1 ] && jq -e '.code == 11' <<< "$out" > /dev/null; }; then
		fail "ADD x$i: $out"
	fi
done
warned=$(instance_log "$A" | tail -n +"$log0" | grep -c 'warning\]: the state database .* cannot be written')
errs=$(instance_log "$A" | tail -n +"$log0" | grep -c 'ADD .*error 11')
check "16 failed ADDs: one warning about the store (got $warned)" test "$warned" = 1
check "... and per-request lines rate-limited ($errs <= 10)" test "$errs" -le 10
DEL() { cni DEL "$NAME-x" "/run/netns/$ns" eth0 "$cf"; }
DEL
expect "DEL of nothing held, disk full: nothing to do" 0 ""

rm -f "$sd/filler"
t0=$(date +%s%N)
if wait_until 10 ready_is 200; then
	ready_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	pass "/readyz ready again $ready_ms ms after the space was freed"
else
	fail "/readyz still $(readyz): $(cat "$tmp/readyz")"
fi
check "{\"ctl\":\"health\"}: the store is writable again" writable true
check "the log says the store takes writes again" \
	bash -c "tail -n +$log0 '$(scripts/sfhost dir "$A")/log' | grep -q 'takes writes again'"
cni ADD "$NAME-x" "/run/netns/$ns" eth0 "$cf"
expect "ADD once space is freed ($took_ms ms)" 0 '.ips[0].address != null'
DEL
expect "DEL ($took_ms ms)" 0 ""
check "Neutron's ports tagged for $A are the store's" wait_until 20 ports_agree "$A"

say "figures:"
say "    disk full: ADD code 11 after $full_ms ms; /readyz ready ${ready_ms:-?} ms after space was freed"
finish
