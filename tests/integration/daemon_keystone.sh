#!/usr/bin/env bash
# Keystone faults under a real superfluidd on host1 that authenticates with
# an application credential made for the test (docs/outages.md); its
# Neutron calls go through tests/tools/sfflaky (no fault injected), which
# writes the token of the last one to a file, so the test knows it.  The
# shared Keystone's config is never touched.
#  - the daemon's token revoked through Keystone's API (DELETE
#    /v3/auth/tokens): warm ADDs go on at once; the daemon's next Neutron
#    call meets a 401, it authenticates again once (one log line), its
#    calls succeed with a new token;
#  - its application credential deleted: a cold ADD fails with code 11
#    within cold_add_timeout, naming the credential and what to do; so do
#    `sfctl status` and `sfctl doctor`; 15 such ADDs log the refusal once
#    (the per-request lines rate-limited).
# It revokes only the daemon's own token (by its audit id) and deletes only
# its own credential: the tests beside it keep theirs.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317,SC2015,SC2016
T=daemon_keystone
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
flaky_have || skip "$FLAKY is not built (make tests)"

COLD_S=4
tokf=$tmp/token
flaky --token-file "$tokf"
testnet sg
ready_instance a host1 1 60 on_demand=true "cold_add_timeout=$COLD_S" cooldown_ms=300 \
	p:net:sg min=1 max=4 batch=1 '[neutron]' "endpoint_override = http://127.0.0.1:$flaky_port"
A=$INSTANCE
conf_a=$(scripts/sfhost conf "$A")

# A throw-away application credential of the test bed's user; the trap
# deletes it if the test did not.
ac=$(openstack application credential create "$NAME-ac" -f json) || die "creating an application credential"
ac_id=$(jq -er .id <<< "$ac") && ac_secret=$(jq -er .secret <<< "$ac") || die "no id or secret: $ac"
ac_made=$ac_id
ac_cleanup() { [ -z "$ac_made" ] || openstack application credential delete "$ac_made" > /dev/null 2>&1; ac_made=""; }
at_exit 25 ac_cleanup
printf '[neutron]\napplication_credential_id = %s\napplication_credential_secret = %s\n' \
	"$ac_id" "$ac_secret" > "$tmp/ac.conf"
chmod 0600 "$tmp/ac.conf"
scripts/sfhost stop "$A" > /dev/null || die "stopping $A"
sed -i -e 's/^auth_type = .*/auth_type = v3applicationcredential/' \
	-e "s|^credentials_file = .*|credentials_file = $tmp/ac.conf|" \
	-e '/^\(username\|user_domain_name\|project_name\|project_domain_name\) = /d' "$conf_a"
scripts/sfhost restart "$A" > /dev/null || die "restarting $A with the application credential"
log0=$(( $(instance_log "$A" | wc -l) + 1 ))

declare -A ns_of
add() { mk_netns "ns_of[$1]" "$1"; cni ADD "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "$cf"; }
# The credential works: a warm ADD takes the ready port, the refiller
# creates its replacement with the credential's token.
add w1
expect "ADD w1 (warm, $took_ms ms)" 0 '.ips[0].address != null'
check "the refiller made a port with the application credential's token" wait_until 30 pool_settled "$A" p 1

# --- the daemon's token revoked -----------------------------------------------
old=$(cat "$tokf") || die "sfflaky saw no token"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE -H "X-Auth-Token: $TOKEN" \
	-H "X-Subject-Token: $old" "$SF_TB_KEYSTONE_URL/auth/tokens")
check "Keystone revoked the daemon's token (HTTP $code)" test "$code" = 204
n401=$(flaky_answers 401)
add w2
expect "ADD w2 after the revocation (warm, $took_ms ms)" 0 '.ips[0].address != null'
warm_ms=$took_ms
check "... at once ($took_ms ms < 1000)" test "$took_ms" -lt 1000
renewed() { [ "$(cat "$tokf")" != "$old" ] && [[ $(flaky_last) == 20[0-9] ]]; }
check "the daemon's next Neutron calls carry a new token and succeed" wait_until 20 renewed
check "... after Neutron answered 401 to the revoked one" \
	test "$(flaky_answers 401)" -gt "$n401"
check "the refiller refilled the pool" wait_until 30 pool_settled "$A" p 1
reauths=$(instance_log "$A" | tail -n +"$log0" | grep -c 'refused the token (401')
check "the daemon authenticated again once ($reauths log line)" test "$reauths" = 1

# --- its application credential deleted ----------------------------------------
openstack application credential delete "$ac_id" > /dev/null || die "deleting the credential"
ac_made=""
add w3
expect "ADD w3 (warm, the credential gone: $took_ms ms)" 0 '.ips[0].address != null'
log1=$(( $(instance_log "$A" | wc -l) + 1 ))
add c1
expect "cold ADD, the credential gone: code 11 ($took_ms ms)" 1 \
	".code == 11 and (.msg | test(\"application credential '$ac_id'\"))"
say "    its message: $(jq -r .msg <<< "$out")"
cold_ms=$took_ms
check "... within cold_add_timeout + 1.5 s" test "$took_ms" -le $(( COLD_S * 1000 + 1500 ))
t15=$SECONDS
for i in $(seq 2 15); do
	cni ADD "$NAME-c1-$i" "/run/netns/${ns_of[c1]}" eth0 "$cf"
	[ "$rc" = 1 ] && jq -e '.code == 11' <<< "$out" > /dev/null || fail "cold ADD $i: $out"
done
refused=$(instance_log "$A" | tail -n +"$log1" | grep -c "warning\]: Keystone refused application credential")
lines=$(instance_log "$A" | tail -n +"$log1" | grep -c "refused application credential")
check "15 cold ADDs: one warning says the credential was refused ($refused)" test "$refused" = 1
# The per-request limit: a burst of 10, then 20 a minute (one each 3 s).
allowed=$(( 10 + (SECONDS - t15) / 3 + 1 ))
check "... and the per-request lines are rate-limited ($(( lines - refused )) <= $allowed)" \
	test $(( lines - refused )) -le "$allowed"
st=$(ip netns exec sf-host1 "$B/sfctl" -c "$conf_a" status 2>&1)
check "sfctl status names the refused credential" grep -q "refused application credential '$ac_id'" <<< "$st"
dr=$(ip netns exec sf-host1 "$B/sfctl" -c "$conf_a" doctor 2>&1)
drc=$?
check "sfctl doctor fails (exit $drc) naming it" \
	bash -c '[ "$1" != 0 ] && grep -q "refused application credential" <<< "$2"' _ "$drc" "$dr"
say "    sfctl doctor: $(grep -m1 "refused" <<< "$dr")"
pid=$(cat "$(scripts/sfhost dir "$A")/pid")
check "the daemon lives" test -d "/proc/$pid"
for l in w1 w2 w3; do
	cni DEL "$NAME-$l" "/run/netns/${ns_of[$l]}" eth0 "$cf"
	expect "DEL $l (the credential gone)" 0 ""
done

say "figures:"
say "    token revoked: warm ADD in ${warm_ms:-?} ms, $reauths re-authentication; credential deleted: cold ADD code 11 after $cold_ms ms, $refused warning for 15 ADDs"
finish
