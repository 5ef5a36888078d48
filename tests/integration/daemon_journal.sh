#!/usr/bin/env bash
# Logs to the journal with fields under systemd, plain lines otherwise: a
# real systemd-journald of the test's own (lib/journal.sh, never the
# machine's journal), a daemon started as systemd starts a unit (stderr a
# journal stream, JOURNAL_STREAM naming it); a warm ADD, its DEL and a
# refused ADD read back with `journalctl -D ... -o json`: each line one
# entry with PRIORITY, CODE_FILE/LINE/FUNC, SF_REQUEST_ID and
# SF_CONTAINER_ID (the id also in its MESSAGE); the rate limit still holds
# (a burst of bad requests, then "similar line(s) suppressed"); nothing of
# ours through the stream.  A JOURNAL_STREAM naming another file than
# stderr: plain lines on stderr, no entry.  Exit 0 pass, 1 fail, 77 skip.
# shellcheck disable=SC2016,SC2119,SC2154,SC2317
T=daemon_journal
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/journal.sh
. "$(dirname "$0")/lib/journal.sh"

journal_up
testnet
SF_DAEMON_WRAP=$JOURNAL_WRAP ready_instance j host1 1 60 min=1 max=2 batch=1
J=$INSTANCE
jsock=$CONF_SOCKET

# ours: the daemon's own entries (not the stream's, not journald's)
ours() { journal_json | jq -c 'select(.SYSLOG_IDENTIFIER == "superfluidd")'; }

mk_netns c1 c1
cni ADD "$NAME-c1" "/run/netns/$c1" eth0 "$cf"
expect "a warm ADD under the journal" 0 '.ips | length == 1'
cni DEL "$NAME-c1" "/run/netns/$c1" eth0 "$cf"
expect "... and its DEL" 0 ""
# A refused ADD: a network config without its network (code 7), the
# request known by then.
bad=$(conf 1.0.0 "" "" 'del(.network)')
cni ADD "$NAME-bad" "/run/netns/$c1" eth0 "$bad"
expect "an ADD without a network is refused" 1 '.code > 0'

add=""
got_add() { add=$(ours | jq -c --arg c "$NAME-c1" 'select(.SF_CONTAINER_ID == $c and
	(.MESSAGE | startswith("ADD ")))' | head -1); [ -n "$add" ]; }
check "the warm ADD's line is a journal entry with its container" wait_until 5 got_add
say "entry: $add"
check "... carrying SF_REQUEST_ID, the id its MESSAGE names" jq -e '
	(.SF_REQUEST_ID | test("^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")) and
	(.SF_REQUEST_ID as $r | .MESSAGE | endswith("request " + $r))' <<< "$add"
check "... PRIORITY 6 (info), CODE_FILE/LINE/FUNC of handle.c, sent natively" jq -e '
	.PRIORITY == "6" and .CODE_FILE == "src/daemon/handle.c" and
	(.CODE_LINE | test("^[0-9]+$")) and .CODE_FUNC == "handle_cni" and
	._TRANSPORT == "journal"' <<< "$add"
del=$(ours | jq -c --arg c "$NAME-c1" 'select(.SF_CONTAINER_ID == $c and (.MESSAGE | startswith("DEL ")))')
check "the DEL has its own request id" jq -se --argjson a "$add" \
	'length == 1 and .[0].SF_REQUEST_ID != $a.SF_REQUEST_ID and (.[0].SF_REQUEST_ID | startswith("req-"))' <<< "$del"
badl=$(ours | jq -c --arg c "$NAME-bad" 'select(.SF_CONTAINER_ID == $c)')
check "the refused ADD's error line: its container, its code in MESSAGE, PRIORITY 6" jq -se \
	--arg code "$(jq -r .code <<< "$out")" 'length == 1 and .[0].PRIORITY == "6" and
	(.[0].MESSAGE | test("^ADD .*: error " + $code + ": "))' <<< "$badl" || say "entries: $badl"
check "lines of no request carry no request fields" jq -se 'map(select(.MESSAGE |
	startswith("serving on"))) | length == 1 and (.[0] | has("SF_REQUEST_ID") | not)' <<< "$(ours)"
check "nothing of ours came through the stream as a plain line" not grep -q 'superfluidd\[' \
	<<< "$(journal_json | jq -r 'select(._TRANSPORT == "stdout") | .MESSAGE')"
check "... nor in the instance's log file" not grep -q 'superfluidd\[' <<< "$(instance_log "$J")"

# --- the rate limit holds ------------------------------------------------------------------
# 14 refused requests at once: the error line's site lets what its bucket
# holds (LOG_RL_BURST, 10, less the refused ADD above, plus what refills
# meanwhile) through; one more after a refill (20 a minute: 3 s) reports
# the rest.  Every request is either an entry or counted in one.
for i in $(seq 1 14); do cni ADD "$NAME-rl$i" "/run/netns/$c1" eth0 "$bad"; done
sleep 3.2
cni ADD "$NAME-rl15" "/run/netns/$c1" eth0 "$bad"
expect "the 15th refused ADD" 1 '.code > 0'
site=$(jq -r 'if type == "array" then .[0] else . end' <<< "$(jq -c .CODE_LINE <<< "$(head -1 <<< "$badl")")")
rl=$(ours | jq -c --arg l "$site" 'select(.CODE_LINE == $l and .CODE_FUNC == "handle_cni")')
n=$(jq -s --arg p "ADD $NAME-rl" '[.[] | select(.MESSAGE | startswith($p))] | length' <<< "$rl")
sup=$(jq -s '[.[] | .MESSAGE | capture("^(?<n>[0-9]+) similar line\\(s\\) suppressed") | .n | tonumber] | add // 0' <<< "$rl")
check "rate limited: $n of 15 refused requests logged, $sup suppressed" \
	test "$n" -ge 9 -a "$n" -lt 15 -a $((n + sup)) = 15
check "... the count an entry of its own at the site, PRIORITY 6" \
	jq -se 'length >= 1 and all(.[]; .PRIORITY == "6")' \
	<<< "$(jq -c 'select(.MESSAGE | contains("similar line(s) suppressed"))' <<< "$rl")"

# --- plain otherwise -------------------------------------------------------------------------
# JOURNAL_STREAM set, but naming another file than stderr (as for a child
# of a unit whose stderr went elsewhere): plain lines, no entry.
other=$(stat -L -c %d:%i /dev/null)
SF_DAEMON_WRAP="env JOURNAL_STREAM=$other" start_instance p host1 < /dev/null
P_I=$INSTANCE
psock=$(scripts/sfhost sock "$P_I")
check "a JOURNAL_STREAM not naming stderr: plain lines on stderr" \
	grep -q "superfluidd\[info\]: serving on '$psock'" <<< "$(instance_log "$P_I")"
check "... and no entry in the journal" not grep -qF "$psock" <<< "$(journal_json | jq -r .MESSAGE)"
check "the journaled instance's entries are all there ($(ours | grep -c .))" \
	grep -qF "$jsock" <<< "$(ours | jq -r .MESSAGE)"

finish
