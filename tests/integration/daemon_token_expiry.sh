#!/usr/bin/env bash
# sf-test: alone
# sf-test: plain-build: ASan runs its re-authentication in daemon_keystone
# Keystone tokens that expire every 30 s (issue 15; twice as often as the
# issue's minute): the test bed's Keystone restarted with [token] expiration
# = 30 (SF_TESTBED_TOKEN_EXPIRATION), a real superfluidd on host1 whose
# Neutron calls go through tests/tools/sfflaky (no fault injected, it logs
# each answer and the last token).  For more than two token lifetimes
# containers come and go, the pool refilling through Neutron: every ADD and
# DEL answers 0, the daemon renews its token before it is due (Neutron never
# answers 401), the first token is really expired by the end, and Neutron's
# tagged ports, the store and the host's interfaces agree.  The trap puts
# Keystone back with its own token lifetime.
# It restarts Keystone (hence "sf-test: alone" above).
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317,SC2015
T=daemon_token_expiry
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
flaky_have || skip "$FLAKY is not built (make tests)"

EXP=30 RUN_S=75
ks_short=
ks_restore() { # Keystone with its own lifetime again (after svcs_restore)
	[ -n "$ks_short" ] || return 0
	scripts/testbed stop keystone > /dev/null
	scripts/testbed start keystone > /dev/null || say "FAIL: Keystone did not come back"
	ks_short=
}
at_exit 11 ks_restore
svc_stop keystone
ks_short=1
SF_TESTBED_TOKEN_EXPIRATION=$EXP svc_start keystone
exp=$(openstack token issue -f value -c expires) && life=$(( $(date -d "$exp" +%s) - $(date +%s) ))
check "Keystone issues tokens for $EXP s now (this one: ${life:-?} s left)" \
	test "${life:-999}" -le "$EXP" -a "${life:-0}" -gt 0

tokf=$tmp/token
flaky --token-file "$tokf"
testnet sg
ready_instance a host1 2 90 "cold_add_timeout=20" cooldown_ms=300 \
	p:net:sg min=2 max=4 batch=1 '[neutron]' "endpoint_override = http://127.0.0.1:$flaky_port"
A=$INSTANCE
first=$(cat "$tokf") || die "sfflaky saw no token"
tokens() { instance_metric host1 "$A" "superfluid_keystone_tokens_total{kind=\"$1\"}"; }
issued0=$(tokens issued)

# Containers come and go: each ADD takes a ready port, the refiller makes
# its replacement and the syncer writes the holder, all with the token of
# the moment.
declare -A ns_of
bad=0 n=0 prev=
t0=$SECONDS
while [ $((SECONDS - t0)) -lt "$RUN_S" ]; do
	n=$((n + 1))
	mk_netns "ns_of[c$n]" "c$n"
	cni ADD "$NAME-c$n" "/run/netns/${ns_of[c$n]}" eth0 "$cf"
	[ "$rc" -eq 0 ] || { bad=$((bad + 1)); say "ADD c$n: exit $rc: $out"; }
	if [ -n "$prev" ]; then
		cni DEL "$NAME-$prev" "/run/netns/${ns_of[$prev]}" eth0 "$cf"
		[ "$rc" -eq 0 ] || { bad=$((bad + 1)); say "DEL $prev: exit $rc: $out"; }
	fi
	prev=c$n
	sleep 3
done
cni DEL "$NAME-$prev" "/run/netns/${ns_of[$prev]}" eth0 "$cf"
[ "$rc" -eq 0 ] || bad=$((bad + 1))
check "$n ADDs and $n DELs over $((SECONDS - t0)) s, every one answered 0" test "$bad" = 0
issued=$(( $(tokens issued) - issued0 ))
check "the daemon was issued $issued new token(s) meanwhile (>= 2)" test "$issued" -ge 2
check "... each before the last was due: none after a 401 ($(tokens after_401))" test "$(tokens after_401)" = 0
check "... and Neutron answered no call 401 (of $(wc -l < "$tmp/flaky.log"))" \
	test "$(flaky_answers 401)" = 0 -a "$(flaky_answers 201)" -ge 1
check "the daemon calls Neutron with a newer token than its first" test "$(cat "$tokf")" != "$first"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $TOKEN" \
	-H "X-Subject-Token: $first" "$SF_TB_KEYSTONE_URL/auth/tokens")
check "its first token has expired: Keystone no longer knows it (HTTP $code)" test "$code" = 404
check "the pool refilled" wait_until 60 pool_settled "$A" p 2
check "Neutron's tagged ports == the store == host1's interfaces" wait_until 30 all_agree host1 "$A"

say "figures:"
say "    tokens of $EXP s: $n ADD/DEL pairs in $RUN_S s, $bad failed, $issued renewal(s), 0 after a 401"
finish
