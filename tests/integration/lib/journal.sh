# shellcheck shell=bash
# A private systemd-journald for a test, never the machine's journal:
# sourced after lib/env.sh, never run.
#
#   journal_up                 starts it; the trap stops it
#   JOURNAL_WRAP               for SF_DAEMON_WRAP: runs the daemon as systemd
#                              runs a unit's: stderr a stream into that journald,
#                              JOURNAL_STREAM naming it (lib/journal-stream);
#                              absolute paths only (nsenter's cwd is /)
#   journal_json               every entry so far, one JSON object a line
#
# journald runs in a mount namespace of its own where /run/systemd,
# /run/log and /etc/systemd/journald.conf are folders and a file of $tmp
# (its sockets and its volatile journal), and in its own network
# namespace, without the audit capabilities (its call enabling audit is
# refused: the machine's audit state is left alone), reading no kernel
# messages and forwarding nothing.  Not in a PID namespace of its own: it
# would not see its clients' pids and drops their streams.  A daemon joins
# only its mount namespace, to reach the sockets.
# shellcheck disable=SC2016,SC2034,SC2046,SC2154
JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}
journald_pid=""

journal_up() {
	local d=$tmp/journal
	[ -x "$JOURNALD" ] || skip "no $JOURNALD (scripts/deps: systemd)"
	command -v journalctl > /dev/null || skip "no journalctl (scripts/deps: systemd)"
	mkdir -p "$d/run-systemd" "$d/run-log"
	printf '%s\n' '[Journal]' Storage=volatile ReadKMsg=no ForwardToSyslog=no \
		ForwardToKMsg=no ForwardToConsole=no ForwardToWall=no RuntimeMaxUse=16M \
		RateLimitBurst=0 > "$d/journald.conf"
	unshare --mount --propagation slave --fork --kill-child=TERM --net sh -c '
		mount --bind "$1/run-systemd" /run/systemd &&
		mount --bind "$1/run-log" /run/log &&
		mount --bind "$1/journald.conf" /etc/systemd/journald.conf || exit 1
		exec setpriv --bounding-set=-audit_control,-audit_read,-audit_write "$2"' \
		sh "$d" "$JOURNALD" > "$d/journald.out" 2>&1 &
	journald_pid=$!
	wait_until 10 test -S "$d/run-systemd/journal/stdout" ||
		die "systemd-journald did not open its sockets: $(cat "$d/journald.out")"
	JOURNAL_WRAP="nsenter --mount=/proc/$journald_pid/ns/mnt -- $PWD/tests/integration/lib/journal-stream"
	say "a private journald (pid $journald_pid), its journal in $d/run-log"
}

# The trap's part: on a failure (SF_IT_SHOW_LOGS=1: always) the journal's
# last entries, since an instance's log file holds none of its lines.
journal_down() {
	[ -n "$journald_pid" ] || return 0
	if [ "$exit_rc" -ne 0 ] || [ -n "${SF_IT_SHOW_LOGS:-}" ]; then
		say "the private journal:"
		journalctl -D "$tmp/journal/run-log/journal" --no-pager -o short-precise 2>&1 |
			tail -n "${SF_IT_LOG_LINES:-40}" | sed 's/^/    | /'
	fi
	# unshare --fork ignores SIGTERM while it waits: stop its child,
	# journald (which flushes), and unshare follows.
	kill $(cat "/proc/$journald_pid/task/$journald_pid/children" 2> /dev/null) 2> /dev/null
	wait "$journald_pid" 2> /dev/null
	journald_pid=""
}
at_exit 35 journal_down

journal_json() { journalctl -D "$tmp/journal/run-log/journal" -o json --no-pager 2> /dev/null; }
