#!/usr/bin/env bash
# VLAN mode's data plane, for real, in a qemu guest running Debian's kernel
# (this machine's kernel has no 802.1Q: reference/environment.md).
#  - natively, vlan_dataplane must either pass (a kernel with 8021q) or
#    skip saying the kernel cannot make 802.1Q devices;
#  - in the guest (tests/guest/run): vlan_dataplane (tagging seen on the
#    wire, isolation by tag, a dual-stack subport's v6 (no DAD wait, its
#    default route, NDP and ICMPv6 echo tagged), macvlan untagged, the
#    kernel's answers to a stale VLAN and to a name clash) and it_netlink,
#    whose test_vlan is skipped here, must pass.
# Does not use the OpenStack test bed.  Exit 0: passed; 1: failed; 77:
# skipped (no root, not built, no qemu or no guest kernel: the reason).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${SF_BUILD:-${O:-build}}
DP=$B/tests/guest/vlan_dataplane
NL=$B/tests/integration/it_netlink
[ "$(id -u)" -eq 0 ] || { echo "SKIP: vlan_guest.sh needs root"; exit 77; }
for b in "$DP" "$NL"; do
	[ -x "$b" ] || { echo "SKIP: $b is not built (make tests)"; exit 77; }
done
fail=0

out=$("$DP" 2>&1)
rc=$?
case $rc in
0) native="native: vlan_dataplane passed (this kernel has 802.1Q)" ;;
77) if grep -q "cannot make 802.1Q devices" <<<"$out"; then
	native="native: vlan_dataplane exits 77 here, as it must: $(grep -m1 kernel <<<"$out")"
    else
	native="FAIL: native vlan_dataplane exited 77 for another reason: $out"; fail=1
    fi ;;
*) native="FAIL: native vlan_dataplane exited $rc: $out"; fail=1 ;;
esac

mkdir -p "$B/test-logs/integration"
console=$B/test-logs/integration/vlan_guest.console.log
start=$(date +%s%N)
run=$(O=$B SF_GUEST_MODULES="8021q veth macvlan bridge" tests/guest/run -t 110 -l "$console" \
	"$DP" "$NL" 2>&1)
rc=$?
took=$(awk -v n="$(date +%s%N)" -v s="$start" 'BEGIN { printf "%.1f", (n - s) / 1e9 }')
if [ $rc -eq 77 ]; then
	# tests/run shows the first line with "skip": the reason.
	echo "SKIP: the qemu guest cannot run here: $(grep -m1 -o 'SKIP: .*' <<<"$run" | cut -c7-)"
	echo "$native"
	exit 77
fi
echo "$native"
echo "$run"
guest=$(tr -d '\r' <"$console")
echo "guest: boot + tests took ${took}s on the wall (the harness included)"
echo "guest: uptime when the tests started / ended: $(grep -o 'GUEST-BOOTED.*' <<<"$guest" |
	cut -d' ' -f2)s / $(grep -o 'GUEST-DONE.*' <<<"$guest" | cut -d' ' -f2)s"
grep -E '^(c[123]|dual stack|a second|after its|macvlan named|VLAN 101 named)' <<<"$guest" | sed 's/^/guest: /'
[ $rc -eq 0 ] || { echo "FAIL: the guest's tests (exit $rc; console $console)"; fail=1; }
# The one test the host always skips must have run, not skipped, there.
grep -q '^\[       OK \] test_vlan$' <<<"$guest" ||
	{ echo "FAIL: it_netlink's test_vlan did not pass in the guest"; fail=1; }
grep -q '^\[       OK \] test_vlan_dual_stack$' <<<"$guest" ||
	{ echo "FAIL: vlan_dataplane's test_vlan_dual_stack did not pass in the guest"; fail=1; }
[ $fail -eq 0 ] && echo "PASS: vlan_guest"
exit $fail
