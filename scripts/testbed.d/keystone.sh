# shellcheck shell=bash
# Keystone under uwsgi on the underlay address, and the identity objects
# the test bed needs, made through its REST API with curl (one openstack
# CLI call costs more than a second of Python start-up).

TB_KS_CONF=$TB_CONF/keystone/keystone.conf

tb_keystone_conf() {
	install -d -m 0700 "$TB_CONF/keystone" "$TB_DIR/keystone"
	tb_write "$TB_KS_CONF" 0600 <<-EOF
		[DEFAULT]
		log_dir = $TB_LOGS
		log_file = keystone.log
		[database]
		connection = $(tb_db_url keystone)
		[token]
		provider = fernet
		${SF_TESTBED_TOKEN_EXPIRATION:+expiration = $SF_TESTBED_TOKEN_EXPIRATION}
		[fernet_tokens]
		key_repository = $TB_DIR/keystone/fernet-keys
		[fernet_receipts]
		key_repository = $TB_DIR/keystone/fernet-keys
		[credential]
		key_repository = $TB_DIR/keystone/credential-keys
		# neutron-server asks Keystone about every request's token
		# (token_cache_time = -1): Keystone's own cache, in its one uwsgi
		# process, spares it a database round for each.  A revoked token is
		# still refused at once: revocation drops it from this cache and
		# every check reads the (cached, invalidated) revocation events.
		# One process, or another's cache would miss a revocation.
		[cache]
		enabled = true
		backend = oslo_cache.dict
		[identity]
		# For the hashes made here (the tests' application credentials): a
		# test bed's secrets need no costly hash (12 rounds: 0.2 s CPU each).
		password_hash_rounds = 4
	EOF
}

# A running Keystone started with another keystone.conf (an older version
# of this file) is stopped, for tb_svc_up to start it with this one.  Its
# token lifetime is kept: one set by SF_TESTBED_TOKEN_EXPIRATION is a
# test's on purpose (daemon_token_expiry), and an `up` beside it must not
# undo it.
tb_keystone_conf_check() {
	local before exp
	if [ ! -f "$TB_KS_CONF" ] || ! tb_running keystone "$(tb_svc_prog keystone)"; then
		tb_keystone_conf
		return 0
	fi
	before=$(sha256sum < "$TB_KS_CONF")
	exp=$(sed -n 's/^expiration = //p' "$TB_KS_CONF")
	SF_TESTBED_TOKEN_EXPIRATION=${SF_TESTBED_TOKEN_EXPIRATION:-$exp} tb_keystone_conf
	[ "$before" != "$(sha256sum < "$TB_KS_CONF")" ] || return 0
	tb_log "keystone: keystone.conf changed, restarting it"
	tb_stop_svc keystone
}

tb_keystone_manage() { # args...
	env -i PATH="$TB_PATH" LANG=C.UTF-8 HOME="$TB_DIR/keystone" \
		keystone-manage --config-file "$TB_KS_CONF" "$@" \
		>> "$TB_LOGS/keystone-manage.log" 2>&1 ||
		tb_die "keystone-manage $1 failed, see $TB_LOGS/keystone-manage.log"
}

tb_keystone_prepare() {
	tb_keystone_conf
	[ -f "$TB_STATE/keystone-db.done" ] && return 0
	tb_log "keystone: db_sync, fernet and credential keys"
	tb_keystone_manage db_sync
	tb_keystone_manage fernet_setup --keystone-user root --keystone-group root
	tb_keystone_manage credential_setup --keystone-user root --keystone-group root
	touch "$TB_STATE/keystone-db.done"
}

tb_keystone_ready() {
	tb_http_ok "$TB_KEYSTONE_URL/v3"
}

tb_keystone_start() {
	tb_keystone_prepare
	# lazy-apps: each worker opens its own database connections after
	# the fork.  die-on-term: uwsgi's default on SIGTERM is to reload.
	# Connection: close, because --http-socket closes every connection
	# after one response while clients (python-requests, libcurl) would
	# send their next request on it: about 1 request in 75 then failed
	# with "connection reset by peer".
	tb_spawn keystone "$TB_LOGS/keystone-uwsgi.log" \
		HOME="$TB_DIR/keystone" OS_KEYSTONE_CONFIG_FILES="$TB_KS_CONF" -- \
		uwsgi --plugin python3 --http-socket "$TB_UNDERLAY_IP:5000" \
		--wsgi-file /usr/bin/keystone-wsgi-public \
		--master --processes 1 --threads 8 --lazy-apps --die-on-term \
		--need-app --buffer-size 65535 --disable-logging \
		--add-header 'Connection: close'
	tb_wait_ready keystone 60 "$TB_LOGS/keystone-uwsgi.log" tb_keystone_ready ||
		tb_die "keystone did not start (see also $TB_LOGS/keystone.log)"
}

tb_keystone_bootstrap() {
	[ -f "$TB_STATE/keystone-bootstrap.done" ] && return 0
	tb_keystone_manage bootstrap --bootstrap-password "$SECRET_ADMIN" \
		--bootstrap-username admin --bootstrap-project-name admin \
		--bootstrap-role-name admin --bootstrap-service-name keystone \
		--bootstrap-region-id "$TB_REGION" \
		--bootstrap-admin-url "$TB_KEYSTONE_URL/v3/" \
		--bootstrap-internal-url "$TB_KEYSTONE_URL/v3/" \
		--bootstrap-public-url "$TB_KEYSTONE_URL/v3/"
	touch "$TB_STATE/keystone-bootstrap.done"
}

# A project-scoped token for a user of domain Default.
tb_ks_token() { # user password project
	local body
	body=$(jq -nc --arg u "$1" --arg p "$2" --arg pr "$3" '{auth: {
		identity: {methods: ["password"], password: {user: {name: $u,
			domain: {name: "Default"}, password: $p}}},
		scope: {project: {name: $pr, domain: {name: "Default"}}}}}')
	curl -s -m 20 -D - -o /dev/null -H 'Content-Type: application/json' \
		-d "$body" "$TB_KEYSTONE_URL/v3/auth/tokens" |
		awk 'tolower($1) == "x-subject-token:" {print $2}' | tr -d '\r'
}

# One REST call with token $TB_TOKEN; prints the body, fails on >= 400.
tb_api() { # method url [json]
	local out code
	out=$(mktemp)
	code=$(curl -s -m 60 -o "$out" -w '%{http_code}' -X "$1" \
		-H "X-Auth-Token: $TB_TOKEN" -H 'Content-Type: application/json' \
		${3:+-d "$3"} "$2") || code=000
	if [ "$code" -ge 400 ] || [ "$code" = 000 ]; then
		tb_log "$1 $2 -> HTTP $code: $(head -c 400 "$out")"
		rm -f "$out"
		return 1
	fi
	cat "$out"
	rm -f "$out"
}

tb_ks() { # method path [json]
	tb_api "$1" "$TB_KEYSTONE_URL/v3$2" "${3:-}"
}

# Prints the id of the named object, creating it with JSON if missing.
tb_ks_ensure() { # collection name query-extra create-json
	local coll=$1 name=$2 extra=$3 create=$4 id
	id=$(tb_ks GET "/$coll?name=$name$extra" | jq -r ".${coll}[0].id // empty") || return 1
	if [ -z "$id" ]; then
		id=$(tb_ks POST "/$coll" "$create" | jq -r '.[].id') || return 1
	fi
	printf '%s\n' "$id"
}

tb_ks_project() { # name description
	tb_ks_ensure projects "$1" "&domain_id=default" \
		"$(jq -nc --arg n "$1" --arg d "$2" '{project: {name: $n, description: $d, domain_id: "default"}}')"
}

tb_ks_user() { # name password project-id; (re)sets the password
	local id
	id=$(tb_ks_ensure users "$1" "&domain_id=default" \
		"$(jq -nc --arg n "$1" --arg p "$2" --arg pr "$3" \
		'{user: {name: $n, password: $p, domain_id: "default", default_project_id: $pr}}')") || return 1
	tb_ks PATCH "/users/$id" "$(jq -nc --arg p "$2" '{user: {password: $p}}')" > /dev/null || return 1
	printf '%s\n' "$id"
}

tb_ks_grant() { # project-id user-id role-id
	tb_ks PUT "/projects/$1/users/$2/roles/$3" > /dev/null
}

tb_ks_endpoint() { # service-id interface url
	local id
	id=$(tb_ks GET "/endpoints?service_id=$1&interface=$2" | jq -r '.endpoints[0].id // empty') || return 1
	[ -n "$id" ] && return 0
	tb_ks POST /endpoints "$(jq -nc --arg s "$1" --arg i "$2" --arg u "$3" --arg r "$TB_REGION" \
		'{endpoint: {service_id: $s, interface: $i, url: $u, region_id: $r}}')" > /dev/null
}

# Everything superfluid, neutron and the tests need in Keystone.
tb_keystone_provision() {
	[ -f "$TB_STATE/keystone-provision.done" ] && return 0
	tb_log "keystone: projects, users, roles, network service and endpoints"
	local TB_TOKEN admin_role svc_proj sf_proj quota_proj neutron_user sf_user net_svc itf
	TB_TOKEN=$(tb_ks_token admin "$SECRET_ADMIN" admin)
	[ -n "$TB_TOKEN" ] || tb_die "keystone: no admin token"
	admin_role=$(tb_ks GET "/roles?name=admin" | jq -r '.roles[0].id') || exit 1

	svc_proj=$(tb_ks_project service "OpenStack services") || exit 1
	neutron_user=$(tb_ks_user neutron "$SECRET_NEUTRON_SVC" "$svc_proj") || exit 1
	tb_ks_grant "$svc_proj" "$neutron_user" "$admin_role" || exit 1

	sf_proj=$(tb_ks_project superfluid "superfluid test bed") || exit 1
	sf_user=$(tb_ks_user superfluid "$SECRET_SUPERFLUID" "$sf_proj") || exit 1
	# admin, not member: Neutron's policy lets only admins set
	# binding:host_id, which superfluid does on every pool port.
	tb_ks_grant "$sf_proj" "$sf_user" "$admin_role" || exit 1
	# A project of its own where tests may exhaust a port quota without
	# starving the others.
	quota_proj=$(tb_ks_project sf-quota "superfluid quota tests") || exit 1
	tb_ks_grant "$quota_proj" "$sf_user" "$admin_role" || exit 1

	net_svc=$(tb_ks GET "/services?type=network" | jq -r '.services[0].id // empty') || exit 1
	if [ -z "$net_svc" ]; then
		net_svc=$(tb_ks POST /services \
			'{"service": {"type": "network", "name": "neutron", "description": "OpenStack Networking"}}' |
			jq -r .service.id) || exit 1
	fi
	for itf in public internal admin; do
		tb_ks_endpoint "$net_svc" "$itf" "$TB_NEUTRON_URL" || exit 1
	done

	tb_state_set ids.env SF_ID_ADMIN_ROLE "$admin_role"
	tb_state_set ids.env SF_ID_SUPERFLUID_PROJECT "$sf_proj"
	tb_state_set ids.env SF_ID_SUPERFLUID_USER "$sf_user"
	tb_state_set ids.env SF_ID_QUOTA_PROJECT "$quota_proj"
	tb_keystone_appcred
	touch "$TB_STATE/keystone-provision.done"
}

# An application credential of user superfluid (roles: admin on project
# superfluid).  Keystone shows its secret once, at creation, so one whose
# secret was not recorded is replaced.
tb_keystone_appcred() {
	local TB_TOKEN name=superfluid-testbed id resp
	# tb_ks_user has just set the password, which revokes the user's
	# tokens issued up to that moment, compared at one-second resolution
	# (Fernet): a token from the same second is refused (401).
	sleep 1
	TB_TOKEN=$(tb_ks_token superfluid "$SECRET_SUPERFLUID" superfluid)
	[ -n "$TB_TOKEN" ] || tb_die "keystone: no token for user superfluid"
	id=$(tb_ks GET "/users/$SF_ID_SUPERFLUID_USER/application_credentials?name=$name" |
		jq -r '.application_credentials[0].id // empty') || exit 1
	if [ -n "$id" ] && [ "$id" = "${SF_ID_APPCRED:-}" ] && [ -n "${SF_ID_APPCRED_SECRET:-}" ]; then
		return 0
	fi
	[ -n "$id" ] && { tb_ks DELETE "/users/$SF_ID_SUPERFLUID_USER/application_credentials/$id" > /dev/null || exit 1; }
	resp=$(tb_ks POST "/users/$SF_ID_SUPERFLUID_USER/application_credentials" \
		"$(jq -nc --arg n "$name" '{application_credential: {name: $n,
			description: "superfluid test bed", roles: [{name: "admin"}]}}')") || exit 1
	tb_state_set ids.env SF_ID_APPCRED "$(jq -r .application_credential.id <<< "$resp")"
	tb_state_set ids.env SF_ID_APPCRED_SECRET "$(jq -r .application_credential.secret <<< "$resp")"
}
