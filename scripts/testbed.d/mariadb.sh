# shellcheck shell=bash
# MariaDB: a private server for the keystone and neutron databases.
# Debian's default SQLite cannot run neutron's migrations (no ALTER of
# constraints), so the test bed needs a real one.  TCP on loopback only,
# since pymysql connects over TCP; root logs in over the private socket.

TB_DB_SOCK=$TB_DIR/mysql/run/mysqld.sock

tb_mysql() { # sql...
	mariadb --no-defaults -S "$TB_DB_SOCK" -u root -N -B -e "$*"
}

tb_mariadb_ready() {
	mariadb-admin --no-defaults -S "$TB_DB_SOCK" -u root ping > /dev/null 2>&1
}

tb_mariadb_prepare() {
	install -d -m 0700 -o mysql -g mysql "$TB_DIR/mysql" "$TB_DIR/mysql/run"
	install -d -m 0750 -o mysql -g mysql "$TB_LOGS/mysql"
	[ -d "$TB_DIR/mysql/data/mysql" ] && return 0
	tb_log "mariadb: initialising $TB_DIR/mysql/data"
	mariadb-install-db --no-defaults --user=mysql \
		--datadir="$TB_DIR/mysql/data" --skip-test-db \
		--auth-root-authentication-method=socket \
		> "$TB_LOGS/mariadb-install.log" 2>&1 ||
		tb_die "mariadb-install-db failed, see $TB_LOGS/mariadb-install.log"
}

tb_mariadb_start() {
	tb_mariadb_prepare
	# flush at commit every second only, and no binary log: this is a
	# throwaway test database and commit latency is what tests feel.
	tb_spawn mariadb "$TB_LOGS/mariadb.out" -- \
		mariadbd --no-defaults --user=mysql \
		--datadir="$TB_DIR/mysql/data" \
		--socket="$TB_DB_SOCK" \
		--pid-file="$TB_DIR/mysql/run/mysqld.pid" \
		--port="$TB_DB_PORT" --bind-address=127.0.0.1 \
		--skip-name-resolve --skip-log-bin \
		--log-error="$TB_LOGS/mysql/mariadb.err" \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
		--max-connections=500 --innodb-buffer-pool-size=256M \
		--innodb-flush-log-at-trx-commit=2
	tb_wait_ready mariadb 60 "$TB_LOGS/mysql/mariadb.err" tb_mariadb_ready ||
		tb_die "mariadb did not start"
}

# The databases and their users; every statement is idempotent.
tb_mariadb_provision() {
	[ -f "$TB_STATE/mariadb.done" ] && return 0
	local db pw
	for db in keystone neutron; do
		if [ "$db" = keystone ]; then pw=$SECRET_DB_KEYSTONE; else pw=$SECRET_DB_NEUTRON; fi
		tb_mysql "CREATE DATABASE IF NOT EXISTS $db;
			CREATE USER IF NOT EXISTS '$db'@'127.0.0.1' IDENTIFIED BY '$pw';
			ALTER USER '$db'@'127.0.0.1' IDENTIFIED BY '$pw';
			GRANT ALL PRIVILEGES ON $db.* TO '$db'@'127.0.0.1';"
	done
	touch "$TB_STATE/mariadb.done"
}

tb_db_url() { # db
	local pw
	if [ "$1" = keystone ]; then pw=$SECRET_DB_KEYSTONE; else pw=$SECRET_DB_NEUTRON; fi
	printf 'mysql+pymysql://%s:%s@127.0.0.1:%s/%s?charset=utf8mb4' "$1" "$pw" "$TB_DB_PORT" "$1"
}
