/* Generic resource calls on /v2.0/<collection>, and paginated lists. */
#include "neutron/internal.h"
#include "neutron/outcome.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The member `key` of an answer, with a new reference, or NULL. */
/* A single resource is an object: anything else is a malformed answer. */
static json_t *take_member(const json_t *answer, const char *key)
{
	json_t *v = json_object_get(answer, key);

	return json_is_object(v) ? json_incref(v) : NULL;
}

static int malformed(struct neutron_error *err, const char *what)
{
	neutron_error_set(err, 0, "", "malformed answer: no '%s' of the right type", what);
	return -EBADMSG;
}

static char *member_path(const char *collection, const char *id, const char *suffix)
{
	char *eid = neutron_escape(id), *p = NULL;

	if (!eid)
		return NULL;
	if (asprintf(&p, "/v2.0/%s/%s%s", collection, eid, suffix ? suffix : "") < 0)
		p = NULL;
	free(eid);
	return p;
}

static bool names_ok(const char *collection, const char *member)
{
	char key[128];

	return neutron_collection_key(collection, key, sizeof(key)) == 0 &&
	       (!member || neutron_collection_key(member, key, sizeof(key)) == 0);
}

int neutron_resource_create(struct neutron_client *c, const char *collection, const char *member,
			    const json_t *attrs, json_t **ret, struct neutron_error *err)
{
	json_t *body = NULL, *answer = NULL, *obj;
	char *path = NULL;
	int r;

	if (!names_ok(collection, member) || !json_is_object(attrs)) {
		r = -EINVAL;
		neutron_error_set(err, 0, "", "invalid arguments");
		goto out;
	}
	body = json_object();
	/* json_object_set takes a new reference; attrs stays the caller's. */
	if (!body || json_object_set(body, member, (json_t *)attrs) < 0 ||
	    asprintf(&path, "/v2.0/%s", collection) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = neutron_call(c, "POST", path, body, NULL, false, &answer, err);
	if (r < 0)
		goto out;
	obj = take_member(answer, member);
	if (!obj) {
		r = malformed(err, member);
		goto out;
	}
	if (ret)
		*ret = obj;
	else
		json_decref(obj);
	r = 0;
out:
	json_decref(body);
	json_decref(answer);
	free(path);
	return r;
}

int neutron_resource_show(struct neutron_client *c, const char *collection, const char *member,
			  const char *id, json_t **ret, struct neutron_error *err)
{
	json_t *answer = NULL, *obj;
	char *path = NULL;
	int r;

	if (!names_ok(collection, member) || !id || !id[0]) {
		r = -EINVAL;
		neutron_error_set(err, 0, "", "invalid arguments");
		goto out;
	}
	path = member_path(collection, id, NULL);
	if (!path) {
		r = -ENOMEM;
		goto out;
	}
	r = neutron_call(c, "GET", path, NULL, NULL, true, &answer, err);
	if (r < 0)
		goto out;
	obj = take_member(answer, member);
	if (!obj) {
		r = malformed(err, member);
		goto out;
	}
	*ret = obj;
	r = 0;
out:
	json_decref(answer);
	free(path);
	return r;
}

int neutron_resource_update(struct neutron_client *c, const char *collection, const char *member,
			    const char *id, const json_t *attrs, int64_t revision, json_t **ret,
			    struct neutron_error *err)
{
	json_t *body = NULL, *answer = NULL, *obj;
	char *path = NULL, ifmatch[64];
	int r;

	if (!names_ok(collection, member) || !id || !id[0] || !json_is_object(attrs)) {
		r = -EINVAL;
		neutron_error_set(err, 0, "", "invalid arguments");
		goto out;
	}
	snprintf(ifmatch, sizeof(ifmatch), "If-Match: revision_number=%lld", (long long)revision);
	body = json_object();
	path = member_path(collection, id, NULL);
	if (!body || !path || json_object_set(body, member, (json_t *)attrs) < 0) {
		r = -ENOMEM;
		goto out;
	}
	r = neutron_call(c, "PUT", path, body, revision >= 0 ? ifmatch : NULL, true, &answer,
			 err);
	if (r < 0)
		goto out;
	obj = take_member(answer, member);
	if (!obj) {
		r = malformed(err, member);
		goto out;
	}
	if (ret)
		*ret = obj;
	else
		json_decref(obj);
	r = 0;
out:
	json_decref(body);
	json_decref(answer);
	free(path);
	return r;
}

int neutron_resource_delete(struct neutron_client *c, const char *collection, const char *id,
			    struct neutron_error *err)
{
	char *path = NULL;
	int r;

	if (!names_ok(collection, NULL) || !id || !id[0]) {
		neutron_error_set(err, 0, "", "invalid arguments");
		return -EINVAL;
	}
	path = member_path(collection, id, NULL);
	if (!path)
		return -ENOMEM;
	r = neutron_call(c, "DELETE", path, NULL, NULL, true, NULL, err);
	free(path);
	return r;
}

int neutron_list(struct neutron_client *c, const char *collection,
		 const struct neutron_filter *filters, size_t n_filters, unsigned page_size,
		 json_t **ret, struct neutron_error *err)
{
	json_t *all = NULL, *page = NULL, *items;
	char key[128], *path = NULL, *next = NULL;
	unsigned pages = 0;
	int r;

	r = neutron_collection_key(collection, key, sizeof(key));
	if (r == 0)
		r = neutron_build_list_path(collection, filters, n_filters, page_size, &path);
	if (r < 0) {
		neutron_error_set(err, 0, "", "invalid list arguments");
		goto out;
	}
	all = json_array();
	if (!all) {
		r = -ENOMEM;
		goto out;
	}

	while (path) {
		r = neutron_call(c, "GET", path, NULL, NULL, true, &page, err);
		if (r < 0)
			goto out;
		items = json_object_get(page, key);
		if (!json_is_array(items)) {
			r = malformed(err, key);
			goto out;
		}
		if (json_array_extend(all, items) < 0) {
			r = -ENOMEM;
			goto out;
		}
		r = json_array_size(items) == 0 ? 0 :
			neutron_next_link(page, key, neutron_endpoint(c), &next);
		if (r < 0) {
			neutron_error_set(err, 0, "", "%s: unusable pagination link", collection);
			goto out;
		}
		/* A link back to the same page, or no end in sight, is a
		 * server bug; stop instead of looping for ever. */
		if (r == 1 && (streq(next, path) || ++pages >= NEUTRON_MAX_PAGES)) {
			r = -ELOOP;
			neutron_error_set(err, 0, "", "%s: pagination does not end", collection);
			goto out;
		}
		free(path);
		path = next;
		next = NULL;
		json_decref(page);
		page = NULL;
	}
	*ret = all;
	all = NULL;
	r = 0;
out:
	json_decref(all);
	json_decref(page);
	free(path);
	free(next);
	return r;
}
