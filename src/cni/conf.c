#include "cni/conf.h"
#include "cni/env.h"
#include "cni/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>

#include "common/util.h"

#define C7 CNI_ERR_INVALID_CONFIG

void cni_conf_free(struct cni_conf *conf)
{
	if (!conf)
		return;
	free(conf->version_str);
	free(conf->name);
	free(conf->type);
	free(conf->network);
	free(conf->subnet);
	cni_strv_free(conf->security_groups);
	free(conf->socket);
	free(conf->service);
	cni_dns_done(&conf->dns);
	cni_result_free(conf->prev_result);
	for (size_t i = 0; i < conf->n_valid_attachments; i++) {
		free(conf->valid_attachments[i].container_id);
		free(conf->valid_attachments[i].ifname);
	}
	free(conf->valid_attachments);
	json_decref(conf->raw);
	free(conf);
}

/* Sets err and evaluates to -EINVAL. */
#define FAIL(err, code, ...) (cni_error_set((err), (code), __VA_ARGS__), -EINVAL)

static int parse_version(struct cni_conf *conf, enum cni_command cmd, struct cni_error *err)
{
	const char *s = NULL;
	int r;

	r = cni_json_string(conf->raw, "cniVersion", "", C7, &s, err);
	if (r < 0)
		return r;
	if (!s)
		return FAIL(err, CNI_ERR_INCOMPATIBLE_VERSION,
			    "no 'cniVersion' in the network config (that means 0.1.0, which "
			    "superfluid does not support)");
	r = cni_version_parse(s, &conf->version);
	if (r == -EINVAL)
		return FAIL(err, CNI_ERR_DECODE, "failed to decode 'cniVersion' '%.32s'", s);
	cni_error_set_version(err, s);
	if (r < 0) {
		cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
			      "incompatible CNI version %.32s", s);
		cni_error_set_details(err, "superfluid supports 0.3.1, 0.4.0, 1.0.0 and 1.1.0");
		return -EINVAL;
	}
	if (!cni_version_allows(conf->version, cmd)) {
		cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
			      "config version %s does not allow %s", s, cni_command_str(cmd));
		cni_error_set_details(err, "%s needs cniVersion %s or later", cni_command_str(cmd),
				      cmd == CNI_CMD_CHECK ? "0.4.0" : "1.1.0");
		return -EINVAL;
	}
	conf->version_str = strdup(s);
	return conf->version_str ? 0 : cni_error_nomem(err);
}

/* An optional Neutron name or id: non-empty, at most CNI_NAME_MAX bytes. */
static int parse_ref(const json_t *raw, const char *key, char **ret, struct cni_error *err)
{
	const char *s = NULL;
	int r = cni_json_string(raw, key, "", C7, &s, err);

	if (r < 0 || !s)
		return r;
	if (!s[0] || strlen(s) > CNI_NAME_MAX) {
		cni_error_set(err, C7, "'%s' must be a Neutron name or id of 1 to %d bytes", key,
			      CNI_NAME_MAX);
		return -EINVAL;
	}
	*ret = strdup(s);
	return *ret ? 0 : cni_error_nomem(err);
}

static int parse_names(struct cni_conf *conf, struct cni_error *err)
{
	const char *name = NULL, *type = NULL;
	int r;

	r = cni_json_string(conf->raw, "name", "", C7, &name, err);
	if (r < 0)
		return r;
	if (!name || !name[0])
		return FAIL(err, C7, "'name' (the network name) is missing");
	if (!cni_valid_id(name)) {
		cni_error_set(err, C7, "invalid characters in network name '%.64s'", name);
		cni_error_set_details(err, "it must start with a letter or digit, followed by "
				      "letters, digits, '_', '.' or '-'");
		return -EINVAL;
	}
	r = cni_json_string(conf->raw, "type", "", C7, &type, err);
	if (r < 0)
		return r;
	if (!type || !type[0] || strchr(type, '/'))
		return FAIL(err, C7, "'type' must name the plugin binary");
	conf->name = strdup(name);
	conf->type = strdup(type);
	return conf->name && conf->type ? 0 : cni_error_nomem(err);
}

static int parse_superfluid(struct cni_conf *conf, struct cni_error *err)
{
	const char *sock = NULL, *service = NULL;
	long long mtu = 0;
	int r;

	r = parse_ref(conf->raw, "network", &conf->network, err);
	if (r < 0)
		return r;
	if (!conf->network)
		return FAIL(err, C7, "'network' (the Neutron network, name or id) is missing");
	r = parse_ref(conf->raw, "subnet", &conf->subnet, err);
	if (r < 0)
		return r;
	r = cni_json_strv(conf->raw, "securityGroups", "", C7, &conf->security_groups,
			  &conf->n_security_groups, err);
	if (r < 0)
		return r;
	if (conf->n_security_groups > CNI_MAX_SECURITY_GROUPS) {
		cni_error_set(err, C7, "'securityGroups' has more than %d entries",
			      CNI_MAX_SECURITY_GROUPS);
		return -EINVAL;
	}
	for (size_t i = 0; i < conf->n_security_groups; i++) {
		const char *sg = conf->security_groups[i];

		if (!sg[0] || strlen(sg) > CNI_NAME_MAX)
			return FAIL(err, C7, "'securityGroups' entries must be names or ids of "
				    "1 to %d bytes", CNI_NAME_MAX);
	}
	r = cni_json_int(conf->raw, "mtu", "", C7, 576, 65535, &mtu, err);
	if (r < 0)
		return r;
	conf->mtu = (int)mtu;
	r = cni_json_string(conf->raw, "socket", "", C7, &sock, err);
	if (r < 0)
		return r;
	if (sock && (sock[0] != '/' || strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path)))
		return FAIL(err, C7, "'socket' must be an absolute path shorter than 108 bytes, "
			    "not '%.64s'", sock);
	if (sock && !(conf->socket = strdup(sock)))
		return cni_error_nomem(err);
	r = cni_json_string(conf->raw, "service", "", C7, &service, err);
	if (r < 0)
		return r;
	if (service && !util_tag_name_valid(service, CNI_SERVICE_NAME_MAX))
		return FAIL(err, C7, "'service' must be a service name (a-z, 0-9 and '-', at most "
			    "%d characters), not '%.64s'", CNI_SERVICE_NAME_MAX, service);
	if (service && !(conf->service = strdup(service)))
		return cni_error_nomem(err);
	return 0;
}

/* Keys superfluid cannot honour: refusing them beats ignoring an
 * administrator's intent. */
static int parse_unsupported(struct cni_conf *conf, struct cni_error *err)
{
	json_t *ipam = NULL;
	bool masq = false;
	char *dump;
	int r;

	r = cni_json_object(conf->raw, "ipam", "", C7, &ipam, err);
	if (r < 0)
		return r;
	if (ipam && json_object_size(ipam) > 0) {
		/* jansson's json_dumps may lose a key without memory, which
		 * only makes this message worse; a NULL is a failure. */
		dump = json_dumps(ipam, JSON_COMPACT);
		if (!dump)
			return cni_error_nomem(err);
		cni_error_set(err, CNI_ERR_UNSUPPORTED_FIELD, "unsupported field 'ipam': %.160s",
			      dump);
		cni_error_set_details(err, "superfluid takes addresses from Neutron; "
				      "remove 'ipam' and set 'network' and 'subnet'");
		free(dump);
		return -EINVAL;
	}
	r = cni_json_bool(conf->raw, "ipMasq", "", C7, &masq, err);
	if (r < 0)
		return r;
	if (masq)
		return FAIL(err, CNI_ERR_UNSUPPORTED_FIELD, "unsupported field 'ipMasq': true");
	return 0;
}

/* Keys of the protocol that superfluid only needs to type-check or keep. */
static int parse_protocol(struct cni_conf *conf, struct cni_error *err)
{
	json_t *caps = NULL, *dns = NULL;
	char **versions = NULL;
	size_t n_versions = 0;
	int r;

	r = cni_json_bool(conf->raw, "disableCheck", "", C7, &conf->disable_check, err);
	if (r >= 0)
		r = cni_json_bool(conf->raw, "disableGC", "", C7, &conf->disable_gc, err);
	if (r >= 0)
		r = cni_json_strv(conf->raw, "cniVersions", "", C7, &versions, &n_versions, err);
	cni_strv_free(versions);
	if (r >= 0)
		r = cni_json_object(conf->raw, "capabilities", "", C7, &caps, err);
	if (r >= 0)
		r = cni_json_object(conf->raw, "runtimeConfig", "", C7, &conf->runtime_config, err);
	if (r >= 0)
		r = cni_json_object(conf->raw, "args", "", C7, &conf->args, err);
	if (r >= 0)
		r = cni_json_object(conf->raw, "dns", "", C7, &dns, err);
	if (r >= 0 && dns)
		r = cni_dns_from_json(dns, "dns.", &conf->dns, err);
	return r;
}

static int parse_prev_result(struct cni_conf *conf, enum cni_command cmd, struct cni_error *err)
{
	json_t *prev = json_object_get(conf->raw, "prevResult");
	struct cni_error perr;
	int r;

	if (!prev || json_is_null(prev)) {
		if (cmd == CNI_CMD_CHECK)
			return FAIL(err, C7, "CHECK needs 'prevResult' (the result of ADD)");
		return 0;
	}
	if (cmd != CNI_CMD_ADD && cmd != CNI_CMD_DEL && cmd != CNI_CMD_CHECK)
		return 0;
	cni_error_init(&perr);
	r = cni_result_from_json(prev, conf->version, &conf->prev_result, &perr);
	if (r < 0 && cmd == CNI_CMD_DEL && r != -ENOMEM)
		return 0; /* DEL is best effort and does not need prevResult */
	if (r < 0)
		cni_error_copy(err, &perr);
	return r;
}

static int parse_attachments(struct cni_conf *conf, struct cni_error *err)
{
	const char *key = "cni.dev/valid-attachments";
	json_t *a = json_object_get(conf->raw, key), *e;
	size_t i;

	if (!a || json_is_null(a)) {
		key = "cni.dev/attachments";
		a = json_object_get(conf->raw, key);
	}
	if (!a || json_is_null(a))
		return FAIL(err, C7, "GC needs 'cni.dev/valid-attachments'; without it "
			    "every attachment would look stale");
	if (!json_is_array(a))
		return FAIL(err, C7, "'%s' must be an array", key);
	json_array_foreach(a, i, e) {
		const char *id = json_string_value(json_object_get(e, "containerID"));
		const char *ifname = json_string_value(json_object_get(e, "ifname"));

		if (!id || !id[0] || !ifname || !ifname[0]) {
			cni_error_set(err, C7, "'%s[%zu]' must have non-empty 'containerID' and "
				      "'ifname' strings", key, i);
			return -EINVAL;
		}
	}
	conf->valid_attachments = calloc(json_array_size(a) + 1, sizeof(struct cni_attachment));
	if (!conf->valid_attachments)
		return cni_error_nomem(err);
	/* Counted as they are filled, so that cni_conf_free frees what was. */
	json_array_foreach(a, i, e) {
		struct cni_attachment *at = &conf->valid_attachments[i];

		at->container_id = strdup(json_string_value(json_object_get(e, "containerID")));
		at->ifname = strdup(json_string_value(json_object_get(e, "ifname")));
		conf->n_valid_attachments++;
		if (!at->container_id || !at->ifname)
			return cni_error_nomem(err);
	}
	return 0;
}

int cni_conf_parse(const char *data, size_t len, enum cni_command cmd, struct cni_conf **ret,
		   struct cni_error *err)
{
	struct cni_conf *conf = calloc(1, sizeof(*conf));
	json_error_t jerr;
	int r = -EINVAL;

	if (!conf)
		return cni_error_nomem(err);
	if (len > CNI_CONF_MAX) {
		cni_error_set(err, CNI_ERR_DECODE, "network config larger than %d bytes",
			      CNI_CONF_MAX);
		goto out;
	}
	if (cni_json_is_blank(data, len)) {
		cni_error_set(err, CNI_ERR_DECODE, "no network config on stdin");
		goto out;
	}
	conf->raw = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!conf->raw && json_error_code(&jerr) == json_error_out_of_memory) {
		r = cni_error_nomem(err);
		goto out;
	}
	if (!conf->raw) {
		cni_error_set(err, CNI_ERR_DECODE, "failed to decode the network config");
		cni_error_set_details(err, "line %d, column %d: %s", jerr.line, jerr.column,
				      jerr.text);
		goto out;
	}
	if (!json_is_object(conf->raw)) {
		cni_error_set(err, CNI_ERR_DECODE, "the network config must be a JSON object");
		goto out;
	}
	r = parse_version(conf, cmd, err);
	if (r >= 0)
		r = parse_names(conf, err);
	if (r >= 0)
		r = parse_superfluid(conf, err);
	/* DEL undoes an ADD that these keys failed; there is nothing in them
	 * to undo, so they do not fail the DEL. */
	if (r >= 0 && cmd != CNI_CMD_DEL)
		r = parse_unsupported(conf, err);
	if (r >= 0)
		r = parse_protocol(conf, err);
	if (r >= 0)
		r = parse_prev_result(conf, cmd, err);
	if (r >= 0 && cmd == CNI_CMD_GC)
		r = parse_attachments(conf, err);
	if (r < 0)
		goto out;
	*ret = conf;
	conf = NULL;
out:
	cni_conf_free(conf);
	return r;
}
