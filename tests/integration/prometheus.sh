#!/usr/bin/env bash
# sf-test: plain-build: it tests Debian's Prometheus on the exposition; /metrics runs under ASan in the tests that read metrics
# Debian's Prometheus scrapes a real superfluidd on the test bed: its API
# returns a pool gauge and, after a real ADD, the ADD latency histogram;
# `promtool check metrics` accepts the exposition; the shipped alerting
# rules (contrib/prometheus) pass `promtool check rules` and their
# `promtool test rules` file, load into that Prometheus, and a bad rule
# is refused.  Exit 0 pass, 1 fail, 77 skip.
T=prometheus
ENV_TOOLS="jq socat curl openstack ip ping prometheus promtool"
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/prometheus.sh
. "$(dirname "$0")/lib/prometheus.sh"
rules=$PWD/contrib/prometheus/superfluid-rules.yml

# --- the rules, offline -------------------------------------------------------------
check "promtool check rules accepts the shipped rules" promtool check rules "$rules"
check "promtool test rules: every alert fires on trouble, none on a healthy host" \
	promtool test rules contrib/prometheus/superfluid-rules.test.yml
sed 's/expr: superfluid_neutron_up == 0/expr: superfluid_neutron_up ==/' "$rules" > "$tmp/bad.yml"
check "promtool check rules refuses a broken expression" not promtool check rules "$tmp/bad.yml"

# --- a daemon and its scraper -------------------------------------------------------
testnet
ready_instance prom host1 2 60 min=2 max=3 batch=2 prom:net:sg
I=$INSTANCE
hns=$(host_ns host1)
target=$(scripts/sfhost metrics "$I")

ip netns exec "$hns" curl -sf "http://$target/metrics" > "$tmp/exposition" || die "GET /metrics"
if promtool check metrics < "$tmp/exposition" > "$tmp/lint" 2>&1; then
	pass "promtool check metrics accepts the exposition"
else
	fail "promtool check metrics: $(cat "$tmp/lint")"
fi

prom_start "$hns" "$target" "$rules"
check "prometheus scraped the daemon" wait_until 30 prom_is 'up{job="superfluid"}' 1
check "the API has the pool's ready ports" \
	wait_until 10 prom_ge 'superfluid_pool_ports{pool="prom",state="ready"}' 2
check "the API has superfluid_neutron_up = 1" prom_is superfluid_neutron_up 1
check "... and no port overdue in WIRING" prom_is superfluid_ports_wiring_overdue 0
check "the shipped rules are loaded, healthy" \
	jq -e '[.data.groups[] | select(.name == "superfluid") | .rules[] | select(.health == "ok")] | length == 7' \
	<<< "$(prom_get /api/v1/rules)"

mk_netns c1 c1
cni ADD "$NAME-c1" "/run/netns/$c1" eth0 "$cf"
expect "a real ADD" 0 '.ips | length == 1'
q='superfluid_cni_request_duration_seconds_count{verb="ADD"}'
check "the API has the ADD latency histogram's count" wait_until 15 prom_is "$q" 1
check "... and its +Inf bucket" \
	prom_is 'superfluid_cni_request_duration_seconds_bucket{verb="ADD",le="+Inf"}' 1
check "... a quantile of it computes" prom_value \
	'histogram_quantile(0.99, sum by (le) (superfluid_cni_request_duration_seconds_bucket{verb="ADD"}))'
check "the ADD took under 30 s by the histogram" \
	prom_is 'superfluid_cni_request_duration_seconds_bucket{verb="ADD",le="30"}' 1
check "no alert fires on this healthy host" \
	jq -e '[.data.alerts[] | select(.state == "firing")] | length == 0' \
	<<< "$(prom_get /api/v1/alerts)"
cni DEL "$NAME-c1" "/run/netns/$c1" eth0 "$cf"
expect "DEL" 0 ""

# The exposition after requests (labelled series, histograms with data).
ip netns exec "$hns" curl -sf "http://$target/metrics" > "$tmp/exposition" || die "GET /metrics"
if promtool check metrics < "$tmp/exposition" > "$tmp/lint" 2>&1; then
	pass "promtool check metrics accepts the exposition after ADD and DEL"
else
	fail "promtool check metrics after requests: $(cat "$tmp/lint")"
fi
finish
