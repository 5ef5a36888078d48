# shellcheck shell=bash
# RabbitMQ, the agents' message bus, and its own epmd.
#
# Debian's /usr/sbin/rabbitmq-server wrapper does `su rabbitmq`, which
# resets HOME (and so the Erlang cookie) to the system's; the test bed
# runs the real script as the rabbitmq user with setpriv instead, with
# every RABBITMQ_* path in the data dir.  epmd is started first, in the
# foreground and on loopback, so that it is a recorded process of ours
# rather than a daemon that Erlang forks off and nobody stops.

TB_RABBIT_HOME=$TB_DIR/rabbitmq/home

tb_rabbit_env() { # prints the NAME=value words rabbitmq needs
	printf '%s\n' \
		"HOME=$TB_RABBIT_HOME" \
		"RABBITMQ_NODENAME=$TB_RABBIT_NODE" \
		"RABBITMQ_CONF_ENV_FILE=$TB_CONF/rabbitmq/rabbitmq-env.conf" \
		"RABBITMQ_CONFIG_FILE=$TB_CONF/rabbitmq/rabbitmq.conf" \
		"RABBITMQ_ADVANCED_CONFIG_FILE=$TB_CONF/rabbitmq/advanced.config" \
		"RABBITMQ_ENABLED_PLUGINS_FILE=$TB_CONF/rabbitmq/enabled_plugins" \
		"RABBITMQ_MNESIA_BASE=$TB_DIR/rabbitmq/mnesia" \
		"RABBITMQ_LOG_BASE=$TB_LOGS/rabbitmq" \
		"RABBITMQ_PID_FILE=$TB_DIR/rabbitmq/rabbitmq.pid" \
		"RABBITMQ_DIST_PORT=$TB_DIST_PORT" \
		"ERL_EPMD_ADDRESS=127.0.0.1" \
		"ERL_EPMD_PORT=$TB_EPMD_PORT" \
		"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1} -start_epmd false"
}

tb_rabbit_prepare() {
	install -d -m 0700 -o rabbitmq -g rabbitmq "$TB_DIR/rabbitmq" \
		"$TB_RABBIT_HOME" "$TB_DIR/rabbitmq/mnesia"
	install -d -m 0750 -o rabbitmq -g rabbitmq "$TB_LOGS/rabbitmq"
	install -d -m 0750 -o root -g rabbitmq "$TB_CONF/rabbitmq"
	printf '%s' "$SECRET_COOKIE" |
		tb_write "$TB_RABBIT_HOME/.erlang.cookie" 0400 rabbitmq:rabbitmq
	: | tb_write "$TB_CONF/rabbitmq/rabbitmq-env.conf" 0640 root:rabbitmq
	printf '[].\n' | tb_write "$TB_CONF/rabbitmq/advanced.config" 0640 root:rabbitmq
	printf '[].\n' | tb_write "$TB_CONF/rabbitmq/enabled_plugins" 0640 root:rabbitmq
	# The default user and vhost are created on the first boot only,
	# which is all the test bed needs: no rabbitmqctl round trips.
	tb_write "$TB_CONF/rabbitmq/rabbitmq.conf" 0640 root:rabbitmq <<-EOF
		listeners.tcp.1 = 127.0.0.1:$TB_AMQP_PORT
		listeners.tcp.2 = $TB_UNDERLAY_IP:$TB_AMQP_PORT
		default_vhost = neutron
		default_user = neutron
		default_pass = $SECRET_RABBIT
		default_permissions.configure = .*
		default_permissions.read = .*
		default_permissions.write = .*
		log.console = false
		log.file.level = info
	EOF
}

tb_epmd_ready() {
	(exec 3<>"/dev/tcp/127.0.0.1/$TB_EPMD_PORT") 2> /dev/null
}

tb_epmd_start() {
	tb_spawn epmd "$TB_LOGS/epmd.log" -- \
		setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
		epmd -address 127.0.0.1 -port "$TB_EPMD_PORT"
	tb_wait_ready epmd 10 "$TB_LOGS/epmd.log" tb_epmd_ready || tb_die "epmd did not start"
}

# Ready when the AMQP listener on the underlay answers a protocol header
# with a connection.start frame (type 1): listeners open last in boot.
tb_rabbit_ready() {
	python3 - "$TB_UNDERLAY_IP" "$TB_AMQP_PORT" <<-'EOF' 2> /dev/null
		import socket, sys
		s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
		s.sendall(b"AMQP\x00\x00\x09\x01")
		sys.exit(0 if s.recv(1) == b"\x01" else 1)
	EOF
}

tb_rabbit_start() {
	tb_rabbit_prepare
	local envs
	mapfile -t envs < <(tb_rabbit_env)
	tb_spawn rabbitmq "$TB_LOGS/rabbitmq.out" "${envs[@]}" -- \
		setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
		/usr/lib/rabbitmq/bin/rabbitmq-server
	tb_wait_ready rabbitmq 90 "$TB_LOGS/rabbitmq.out" tb_rabbit_ready ||
		tb_die "rabbitmq did not start (logs in $TB_LOGS/rabbitmq/)"
}

tb_transport_url() { # host the client reaches rabbit at
	printf 'rabbit://neutron:%s@%s:%s/neutron' "$SECRET_RABBIT" "$1" "$TB_AMQP_PORT"
}
