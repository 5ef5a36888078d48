/* Ports (single and bulk) and tags on any taggable resource. */
#include "neutron/internal.h"
#include "neutron/outcome.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int neutron_port_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			struct neutron_error *err)
{
	return neutron_resource_create(c, "ports", "port", attrs, ret, err);
}

int neutron_port_create_bulk(struct neutron_client *c, const json_t *attrs_array, json_t **ret,
			     struct neutron_error *err)
{
	json_t *body = NULL, *answer = NULL, *ports;
	int r;

	if (!json_is_array(attrs_array) || json_array_size(attrs_array) == 0) {
		r = -EINVAL;
		neutron_error_set(err, 0, "", "bulk create needs a non-empty array of ports");
		goto out;
	}
	body = json_object();
	if (!body || json_object_set(body, "ports", (json_t *)attrs_array) < 0) {
		r = -ENOMEM;
		goto out;
	}
	r = neutron_call(c, "POST", "/v2.0/ports", body, NULL, false, &answer, err);
	if (r < 0)
		goto out;
	ports = json_object_get(answer, "ports");
	if (!json_is_array(ports) || json_array_size(ports) != json_array_size(attrs_array)) {
		r = -EBADMSG;
		neutron_error_set(err, 0, "", "malformed answer: 'ports' missing or short");
		goto out;
	}
	*ret = json_incref(ports);
	r = 0;
out:
	json_decref(body);
	json_decref(answer);
	return r;
}

int neutron_port_show(struct neutron_client *c, const char *id, json_t **ret,
		      struct neutron_error *err)
{
	return neutron_resource_show(c, "ports", "port", id, ret, err);
}

int neutron_port_update(struct neutron_client *c, const char *id, const json_t *attrs,
			int64_t revision, json_t **ret, struct neutron_error *err)
{
	return neutron_resource_update(c, "ports", "port", id, attrs, revision, ret, err);
}

int neutron_port_delete(struct neutron_client *c, const char *id, struct neutron_error *err)
{
	return neutron_resource_delete(c, "ports", id, err);
}

/* "/v2.0/<collection>/<id>/tags[/<tag>]", escaped; NULL on bad input, or
 * without memory (errno ENOMEM). */
static char *tags_path(const char *collection, const char *id, const char *tag)
{
	char key[128], *eid = NULL, *etag = NULL, *p = NULL;

	if (neutron_collection_key(collection, key, sizeof(key)) < 0 || !id || !id[0] ||
	    (tag && !tag[0])) {
		errno = EINVAL;
		return NULL;
	}
	eid = neutron_escape(id);
	etag = tag ? neutron_escape(tag) : NULL;
	if (eid && (!tag || etag) &&
	    asprintf(&p, "/v2.0/%s/%s/tags%s%s", collection, eid, etag ? "/" : "",
		     etag ? etag : "") < 0)
		p = NULL;
	free(eid);
	free(etag);
	if (!p)
		errno = ENOMEM;
	return p;
}

int neutron_tags_set(struct neutron_client *c, const char *collection, const char *id,
		     const char *const *tags, size_t n_tags, struct neutron_error *err)
{
	json_t *body = NULL, *arr;
	char *path = NULL;
	int r;

	path = tags_path(collection, id, NULL);
	if (!path && errno == ENOMEM)
		return -ENOMEM;
	if (!path || (n_tags && !tags)) {
		r = -EINVAL;
		neutron_error_set(err, 0, "", "invalid arguments");
		goto out;
	}
	arr = json_array();
	body = json_pack("{s:o}", "tags", arr);
	if (!body) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_tags; i++) {
		if (!tags[i] || json_array_append_new(arr, json_string(tags[i])) < 0) {
			r = -EINVAL;
			neutron_error_set(err, 0, "", "invalid tag");
			goto out;
		}
	}
	r = neutron_call(c, "PUT", path, body, NULL, true, NULL, err);
out:
	json_decref(body);
	free(path);
	return r;
}

/* PUT adds one tag, DELETE removes it. */
static int tag_call(struct neutron_client *c, const char *method, const char *collection,
		    const char *id, const char *tag, struct neutron_error *err)
{
	char *path = tag ? tags_path(collection, id, tag) : NULL;
	int r;

	if (!path && tag && errno == ENOMEM)
		return -ENOMEM;
	if (!path) {
		neutron_error_set(err, 0, "", "invalid arguments");
		return -EINVAL;
	}
	r = neutron_call(c, method, path, NULL, NULL, true, NULL, err);
	free(path);
	return r;
}

int neutron_tag_add(struct neutron_client *c, const char *collection, const char *id,
		    const char *tag, struct neutron_error *err)
{
	return tag_call(c, "PUT", collection, id, tag, err);
}

int neutron_tag_remove(struct neutron_client *c, const char *collection, const char *id,
		       const char *tag, struct neutron_error *err)
{
	return tag_call(c, "DELETE", collection, id, tag, err);
}
