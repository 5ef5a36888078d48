/* The fake Neutron's model (fake_model.h): Neutron's API over objects kept
 * in memory, enough for the daemon's pools, ports, VM port and trunk. */
#include "fake_model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_neutron.h"

#define MAX_ARGS 64

/* A list request's query arguments (repeated keys kept). */
struct args {
	const char *key[MAX_ARGS], *value[MAX_ARGS];
	size_t n;
};

static enum MHD_Result arg_cb(void *cls, enum MHD_ValueKind kind, const char *key,
			      const char *value)
{
	struct args *a = cls;

	if (a->n < MAX_ARGS && value) {
		a->key[a->n] = key;
		a->value[a->n++] = value;
	}
	return MHD_YES;
}

/* "security-groups" -> "security_groups" (plural) or "security_group". */
static void json_name(const char *collection, bool member, char *buf, size_t size)
{
	size_t n;

	snprintf(buf, size, "%s", collection);
	for (char *c = buf; *c; c++)
		if (*c == '-')
			*c = '_';
	n = strlen(buf);
	if (member && n > 0 && buf[n - 1] == 's')
		buf[n - 1] = '\0';
}

static json_t *coll_of(struct fake *f, const char *collection)
{
	json_t *a = json_object_get(f->model, collection);

	if (!a) {
		a = json_array();
		json_object_set_new(f->model, collection, a);
	}
	return a;
}

static json_t *find(struct fake *f, const char *collection, const char *id, size_t *ret_i)
{
	json_t *v;
	size_t i;

	json_array_foreach(coll_of(f, collection), i, v)
		if (streq(json_string_value(json_object_get(v, "id")), id)) {
			if (ret_i)
				*ret_i = i;
			return v;
		}
	return NULL;
}

static bool has_tag(const json_t *obj, const char *tag, size_t len)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(obj, "tags"), i, t)
		if (strlen(json_string_value(t)) == len && !strncmp(json_string_value(t), tag, len))
			return true;
	return false;
}

/* Neutron's filters: every key must match one of its values; "tags" is a
 * comma-separated list that must all be there. */
static bool matches(const json_t *obj, const struct args *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *k = a->key[i];
		bool any = false;

		if (streq(k, "fields") || streq(k, "limit") || streq(k, "marker") ||
		    !strncmp(k, "sort", 4))
			continue;
		if (streq(k, "tags")) {
			for (const char *t = a->value[i]; *t;) {
				size_t len = strcspn(t, ",");

				if (!has_tag(obj, t, len))
					return false;
				t += len + (t[len] == ',');
			}
			continue;
		}
		for (size_t j = 0; j < a->n; j++) {
			const json_t *v = json_object_get(obj, a->key[j]);

			if (streq(a->key[j], k) && json_is_string(v) &&
			    streq(json_string_value(v), a->value[j]))
				any = true;
		}
		if (!any)
			return false;
	}
	return true;
}

/* Fills in what Neutron would: id, revision, tags; for a port its MAC, an
 * address on its network's first subnet and its status. */
static void complete(struct fake *f, const char *collection, json_t *obj)
{
	unsigned n = ++f->next_id;
	char buf[64];

	if (!json_object_get(obj, "id")) {
		snprintf(buf, sizeof(buf), "%08x-0000-4000-8000-%012x", n, n);
		json_object_set_new(obj, "id", json_string(buf));
	}
	json_object_set_new(obj, "revision_number", json_integer(1));
	if (!json_object_get(obj, "tags"))
		json_object_set_new(obj, "tags", json_array());
	if (!streq(collection, "ports"))
		return;
	snprintf(buf, sizeof(buf), "fa:16:3e:00:%02x:%02x", (n >> 8) & 0xff, n & 0xff);
	if (!json_object_get(obj, "mac_address"))
		json_object_set_new(obj, "mac_address", json_string(buf));
	json_object_set_new(obj, "status", json_string(f->port_status ? f->port_status : "ACTIVE"));
	if (!json_object_get(obj, "device_id"))
		json_object_set_new(obj, "device_id", json_string(""));
	if (!json_object_get(obj, "allowed_address_pairs"))
		json_object_set_new(obj, "allowed_address_pairs", json_array());
	if (json_array_size(json_object_get(obj, "fixed_ips")) == 0) {
		const char *net = json_string_value(json_object_get(obj, "network_id"));
		json_t *s;
		size_t i;

		json_array_foreach(coll_of(f, "subnets"), i, s)
			if (streq(json_string_value(json_object_get(s, "network_id")), net)) {
				snprintf(buf, sizeof(buf), "10.0.0.%u", 10 + n % 240);
				json_object_set_new(obj, "fixed_ips", json_pack(
					"[{s:O, s:s}]", "subnet_id", json_object_get(s, "id"),
					"ip_address", buf));
				break;
			}
	}
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	struct MHD_Response *r;
	enum MHD_Result ret;

	json_decref(doc);
	r = MHD_create_response_from_buffer(text ? strlen(text) : 0, text ? text : "",
					    MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	free(text);
	return ret;
}

static json_t *not_found(const char *member, const char *id)
{
	return json_pack("{s:{s:s, s:s++, s:s}}", "NeutronError", "type", "NotFound", "message",
			 member, " not found: ", id, "detail", "");
}

/* Trunk subports: {"sub_ports": [...]} added or removed by port_id. */
static json_t *subports(json_t *trunk, const json_t *req, bool add)
{
	json_t *have = json_object_get(trunk, "sub_ports"), *s, *h;
	size_t i, j;

	json_array_foreach(json_object_get(req, "sub_ports"), i, s) {
		if (add) {
			json_array_append(have, s);
			continue;
		}
		json_array_foreach(have, j, h)
			if (json_equal(json_object_get(h, "port_id"), json_object_get(s, "port_id"))) {
				json_array_remove(have, j);
				break;
			}
	}
	return json_deep_copy(trunk);
}

/* Under the lock: the answer's status and body (stolen by the caller). */
static unsigned answer(struct fake *f, struct MHD_Connection *conn, const char *method,
		       const char *coll, const char *id, const char *sub, const char *subid,
		       json_t *req, json_t **ret)
{
	const char *im = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match");
	char plural[64], member[64];
	json_t *obj = id ? find(f, coll, id, NULL) : NULL, *v;
	size_t i;

	json_name(coll, false, plural, sizeof(plural));
	json_name(coll, true, member, sizeof(member));
	if (id && !obj && !(streq(method, "POST") && !id)) {
		*ret = not_found(member, id);
		return 404;
	}
	if (streq(method, "GET") && !id) {
		struct args a = { .n = 0 };
		json_t *list = json_array();

		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, arg_cb, &a);
		for (i = 0; i < a.n && streq(coll, "ports"); i++)
			if (streq(a.key[i], "tags") && strstr(a.value[i], "sf-deployment=")) {
				f->port_listings++;
				break;
			}
		json_array_foreach(coll_of(f, coll), i, v)
			if (matches(v, &a))
				json_array_append_new(list, json_deep_copy(v));
		*ret = json_pack("{s:o}", plural, list);
		return 200;
	}
	if (streq(method, "GET")) {
		*ret = json_pack("{s:O}", member, obj);
		return 200;
	}
	if (streq(method, "POST") && !id) {
		json_t *many = json_object_get(req, plural), *one = json_object_get(req, member);

		if (!many && !one)
			return 400;
		if (one) {
			v = json_deep_copy(one);
			complete(f, coll, v);
			json_array_append(coll_of(f, coll), v);
			*ret = json_pack("{s:o}", member, json_deep_copy(v));
			json_decref(v);
			return 201;
		}
		*ret = json_pack("{s:[]}", plural);
		json_array_foreach(many, i, one) {
			v = json_deep_copy(one);
			complete(f, coll, v);
			json_array_append_new(coll_of(f, coll), v);
			json_array_append_new(json_object_get(*ret, plural), json_deep_copy(v));
		}
		return 201;
	}
	if (streq(method, "DELETE") && !sub) {
		find(f, coll, id, &i);
		json_array_remove(coll_of(f, coll), i);
		return 204;
	}
	if (sub && streq(sub, "tags") && subid) {
		json_t *tags = json_object_get(obj, "tags");

		if (streq(method, "PUT") && !has_tag(obj, subid, strlen(subid)))
			json_array_append_new(tags, json_string(subid));
		json_array_foreach(tags, i, v)
			if (streq(method, "DELETE") && streq(json_string_value(v), subid)) {
				json_array_remove(tags, i);
				break;
			}
		return streq(method, "PUT") ? 201 : 204;
	}
	if (streq(method, "PUT") && sub && streq(coll, "trunks")) {
		*ret = subports(obj, req, streq(sub, "add_subports"));
		return 200;
	}
	if (streq(method, "PUT") && !sub) {
		json_int_t rev = json_integer_value(json_object_get(obj, "revision_number"));
		char want[64];

		snprintf(want, sizeof(want), "revision_number=%lld", (long long)rev);
		if (im && im[0] && !streq(im, want))
			return 412;
		json_object_update(obj, json_object_get(req, member));
		json_object_set_new(obj, "revision_number", json_integer(rev + 1));
		*ret = json_pack("{s:O}", member, obj);
		return 200;
	}
	return 400;
}

enum MHD_Result fake_model_answer(struct fake *f, struct MHD_Connection *conn,
				  const char *method, const char *url, const char *body,
				  size_t len)
{
	char path[1024], *part[4] = { NULL }, *save = NULL;
	json_t *req = len ? json_loadb(body, len, 0, NULL) : NULL, *doc = NULL;
	unsigned status;
	size_t n = 0;

	if (strncmp(url, "/v2.0/", 6) != 0) {
		json_decref(req);
		return send_json(conn, 404, not_found("resource", url));
	}
	snprintf(path, sizeof(path), "%s", url + 6);
	for (char *t = strtok_r(path, "/", &save); t && n < 4; t = strtok_r(NULL, "/", &save))
		part[n++] = t;
	pthread_mutex_lock(&f->lock);
	status = answer(f, conn, method, part[0], part[1], part[2], part[3], req, &doc);
	pthread_mutex_unlock(&f->lock);
	json_decref(req);
	return send_json(conn, status, doc);
}

void fake_model_on(struct fake *f)
{
	pthread_mutex_lock(&f->lock);
	if (!f->model)
		f->model = json_object();
	pthread_mutex_unlock(&f->lock);
}

void fake_model_put(struct fake *f, const char *collection, json_t *obj)
{
	assert_non_null(json_object_get(obj, "id"));
	pthread_mutex_lock(&f->lock);
	if (!json_object_get(obj, "revision_number"))
		json_object_set_new(obj, "revision_number", json_integer(1));
	if (!json_object_get(obj, "tags"))
		json_object_set_new(obj, "tags", json_array());
	json_array_append_new(coll_of(f, collection), obj);
	pthread_mutex_unlock(&f->lock);
}

json_t *fake_model_get(struct fake *f, const char *collection, const char *id)
{
	json_t *v;

	pthread_mutex_lock(&f->lock);
	v = json_deep_copy(find(f, collection, id, NULL));
	pthread_mutex_unlock(&f->lock);
	return v;
}

bool fake_model_set(struct fake *f, const char *collection, const char *id, const char *key,
		    json_t *value)
{
	json_t *v;

	pthread_mutex_lock(&f->lock);
	v = find(f, collection, id, NULL);
	if (v)
		json_object_set(v, key, value);
	pthread_mutex_unlock(&f->lock);
	json_decref(value);
	return v != NULL;
}

bool fake_model_delete(struct fake *f, const char *collection, const char *id)
{
	size_t i;
	bool found;

	pthread_mutex_lock(&f->lock);
	found = find(f, collection, id, &i) != NULL;
	if (found)
		json_array_remove(coll_of(f, collection), i);
	pthread_mutex_unlock(&f->lock);
	return found;
}

size_t fake_model_count(struct fake *f, const char *collection)
{
	size_t n;

	pthread_mutex_lock(&f->lock);
	n = json_array_size(coll_of(f, collection));
	pthread_mutex_unlock(&f->lock);
	return n;
}

void fake_model_network(struct fake *f)
{
	fake_model_on(f);
	fake_model_put(f, "networks", json_pack(
		"{s:s, s:s, s:i, s:s, s:[s], s:b}", "id", FAKE_NET_ID, "name", "net1", "mtu", 1450,
		"status", "ACTIVE", "subnets", FAKE_SUBNET_ID, "admin_state_up", 1));
	fake_model_put(f, "subnets", json_pack(
		"{s:s, s:s, s:s, s:i, s:s, s:s, s:[], s:[]}", "id", FAKE_SUBNET_ID, "name", "sub1",
		"network_id", FAKE_NET_ID, "ip_version", 4, "cidr", "10.0.0.0/24", "gateway_ip",
		"10.0.0.1", "host_routes", "dns_nameservers"));
}
