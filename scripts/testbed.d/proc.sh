# shellcheck shell=bash
# Starting and stopping the test bed's processes.  Each service runs in a
# session of its own (setsid) whose id is the pid recorded in
# $TB_RUN/<svc>.pid, together with the process's start time (field 22 of
# /proc/PID/stat, fixed at fork): a pid that was reused by another process
# never matches.  Services are found again by that record only, never by
# name.  (A marker in the environment would not do: Python services
# rewrite their title over /proc/PID/environ.)

tb_pidfile() { printf '%s/%s.pid' "$TB_RUN" "$1"; }

# Prints "state session starttime" of PID, or fails if it is gone.
tb_pid_stat() { # pid
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# shellcheck disable=SC2086
	set -- ${stat##*) }
	printf '%s %s %s\n' "$1" "$4" "${20}"
}

# The processes of session SID, zombies excluded.  The field after the
# last ')' of /proc/PID/stat is the state, then ppid, pgrp, session.
tb_session_pids() { # sid
	local sid=$1 stat rest p
	for p in /proc/[0-9]*; do
		stat=$(cat "$p/stat" 2>/dev/null) || continue
		rest=${stat##*) }
		# shellcheck disable=SC2086
		set -- $rest
		[ "${4:-}" = "$sid" ] && [ "$1" != Z ] && printf '%s\n' "${p#/proc/}"
	done
	return 0
}

# True when the recorded process of SVC is alive (not a zombie), leads its
# own session, has the recorded start time and its command line names
# PROG.
tb_running() { # svc prog
	local rec pid start st
	rec=$(tb_recorded_pid "$1")
	read -r pid start <<< "$rec"
	[ -n "$pid" ] && [ -n "$start" ] || return 1
	st=$(tb_pid_stat "$pid") || return 1
	[ "$st" != "${st#Z }" ] && return 1
	[ "$st" = "${st%% *} $pid $start" ] || return 1
	tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# The recorded "pid starttime" of SVC, or nothing.
tb_recorded_pid() { # svc
	local f
	f=$(tb_pidfile "$1")
	[ -f "$f" ] && cat "$f"
	return 0
}

# Starts CMD in a new session in /, with stdin from /dev/null, output
# appended to LOG, no inherited descriptor but 0-2, a clean environment plus
# VARS (NAME=value words), and records its pid.  The subshell is not a
# process group leader (no job control), so setsid does not fork and the
# recorded pid is the service's own.
tb_spawn() { # svc log [VAR=value...] -- cmd...
	local svc=$1 log=$2 pid st
	shift 2
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	(
		for fd in "/proc/$BASHPID/fd/"*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
		done
		exec < /dev/null >> "$log" 2>&1
		cd /
		exec setsid env -i PATH="$TB_PATH" LANG=C.UTF-8 "${vars[@]}" "$@"
	) &
	pid=$!
	st=$(tb_pid_stat "$pid") || st="? ? 0"
	printf '%s %s\n' "$pid" "${st##* }" > "$(tb_pidfile "$svc")"
}

# Stops the session of the recorded pid: SIGTERM to each of its
# processes, then SIGKILL to what is left after TIMEOUT seconds.  The
# session's other members are signalled even if the leader has died
# (uwsgi workers, a privsep daemon), but not if the pid now names a
# process that is not ours.
tb_stop_svc() { # svc [timeout]
	local svc=$1 timeout=${2:-30} pid start st pids t0
	read -r pid start <<< "$(tb_recorded_pid "$svc")"
	[ -n "$pid" ] || return 0
	st=$(tb_pid_stat "$pid") || st=
	if [ -n "$st" ] && [ "${st##* }" != "$start" ]; then
		tb_log "$svc: pid $pid is no longer ours, not signalled"
		rm -f "$(tb_pidfile "$svc")"
		return 0
	fi
	pids=$(tb_session_pids "$pid")
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null || true
		t0=$SECONDS
		while [ -n "$(tb_session_pids "$pid")" ]; do
			if [ $((SECONDS - t0)) -ge "$timeout" ]; then
				tb_log "$svc: still running after ${timeout}s, SIGKILL"
				pids=$(tb_session_pids "$pid")
				# shellcheck disable=SC2086
				[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
				sleep 0.5
				break
			fi
			sleep 0.2
		done
	fi
	rm -f "$(tb_pidfile "$svc")"
}

# True when PID no longer runs (gone, or a zombie not yet reaped).
tb_pid_dead() { # pid
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# Waits until READY-CMD succeeds; gives up at once if the service's
# process died, showing the end of its log.
tb_wait_ready() { # svc limit log ready-cmd...
	local svc=$1 limit=$2 log=$3 start=$SECONDS pid
	shift 3
	pid=$(tb_recorded_pid "$svc")
	pid=${pid%% *}
	until "$@"; do
		if [ -z "$pid" ] || tb_pid_dead "$pid"; then
			tb_log "$svc exited while starting; end of $log:"
			tail -n 20 "$log" 2>/dev/null | sed 's/^/    /' >&2
			return 1
		fi
		if [ $((SECONDS - start)) -ge "$limit" ]; then
			tb_log "$svc not ready after ${limit}s; see $log"
			return 1
		fi
		sleep 0.2
	done
}
