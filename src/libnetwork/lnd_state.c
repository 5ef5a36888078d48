/* The Docker driver's state file (lnd_internal.h, lnd_state_load/save):
 *
 *   {"version": 1,
 *    "pools":  [{"slot", "id", "net_id", "subnet_id", "cidr", "gateway", "conf",
 *                "bound", "created", "released", "name"}],
 *    "nets":   [{"id", "pool"}],                     pool: a pool's slot
 *    "claims": [{"pool", "address", "mac", "endpoint", "container_id",
 *                "netns", "pinned", "result", "moved"}]}
 *
 * Slots are kept so that the nets' and claims' pool numbers stay right. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "libnetwork/lnd_internal.h"

#define STATE_VERSION 1

static json_t *pool_json(const struct pool *p, size_t slot)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:O,s:b,s:b,s:b,s:s}", "slot", (json_int_t)slot,
			 "id", p->id, "net_id", p->net_id, "subnet_id", p->subnet_id, "cidr",
			 p->cidr, "gateway", p->gateway, "conf", p->conf, "bound", p->bound,
			 "created", p->created, "released", p->released, "name", p->name);
}

static json_t *claim_json(const struct claim *cl)
{
	const struct lnd_attachment *a = cl->att;

	return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:b,s:O,s:s}", "pool", cl->pool, "address",
			 cl->address, "mac", cl->mac, "endpoint", cl->endpoint, "container_id",
			 a->container_id, "netns", a->netns_path, "pinned", a->pinned, "result",
			 a->result, "moved", a->moved);
}

/* The whole state as JSON (a new reference), NULL without memory. */
static json_t *state_json(const struct lnd *l)
{
	json_t *pools = json_array(), *nets = json_array(), *claims = json_array();
	json_t *doc = json_pack("{s:i,s:o,s:o,s:o}", "version", STATE_VERSION, "pools", pools,
				"nets", nets, "claims", claims);

	if (!doc)
		return NULL;   /* json_pack's "o" took the arrays even when it failed */
	for (size_t i = 0; i < LND_MAX_POOLS; i++)
		if (l->pools[i].id[0] && json_array_append_new(pools, pool_json(&l->pools[i], i)) < 0)
			goto nomem;
	for (size_t i = 0; i < LND_MAX_NETS; i++)
		if (l->nets[i].id[0] && json_array_append_new(nets, json_pack("{s:s,s:i}", "id",
						l->nets[i].id, "pool", l->nets[i].pool)) < 0)
			goto nomem;
	for (size_t i = 0; i < LND_MAX_CLAIMS; i++)
		if (l->claims[i].pool >= 0 && l->claims[i].att &&
		    json_array_append_new(claims, claim_json(&l->claims[i])) < 0)
			goto nomem;
	return doc;
nomem:
	json_decref(doc);
	return NULL;
}

/* Makes the folder of `path` (mode 0700; its own parent must exist). */
static int make_parent(const char *path)
{
	char dir[4096];
	char *slash;

	if (util_strlcpy(dir, path, sizeof(dir)) < 0 || !(slash = strrchr(dir, '/')) || slash == dir)
		return -EINVAL;
	*slash = '\0';
	return mkdir(dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

int lnd_state_save(const struct lnd *l)
{
	char tmp[4096];
	json_t *doc;
	int fd, r;

	if (!l->state)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", l->state) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	doc = state_json(l);
	if (!doc)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && make_parent(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = json_dumpfd(doc, fd, JSON_COMPACT) < 0 ? -EIO : 0;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, l->state) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
out:
	json_decref(doc);
	return r;
}

/* Copies string member `key` of o into dst; -EINVAL when absent or too long. */
static int str_in(const json_t *o, const char *key, char *dst, size_t size)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && util_strlcpy(dst, v, size) == 0 ? 0 : -EINVAL;
}

static int pool_in(struct lnd *l, const json_t *o)
{
	json_int_t slot = json_integer_value(json_object_get(o, "slot"));
	const json_t *conf = json_object_get(o, "conf");
	struct pool *p;

	if (!json_is_integer(json_object_get(o, "slot")) || slot < 0 || slot >= LND_MAX_POOLS ||
	    l->pools[slot].id[0] || !json_is_object(conf))
		return -EINVAL;
	p = &l->pools[slot];
	if (str_in(o, "id", p->id, sizeof(p->id)) < 0 || !p->id[0] ||
	    str_in(o, "net_id", p->net_id, sizeof(p->net_id)) < 0 ||
	    str_in(o, "subnet_id", p->subnet_id, sizeof(p->subnet_id)) < 0 ||
	    str_in(o, "cidr", p->cidr, sizeof(p->cidr)) < 0 ||
	    str_in(o, "gateway", p->gateway, sizeof(p->gateway)) < 0 ||
	    str_in(o, "name", p->name, sizeof(p->name)) < 0) {
		memset(p, 0, sizeof(*p));
		return -EINVAL;
	}
	p->bound = json_is_true(json_object_get(o, "bound"));
	p->created = json_is_true(json_object_get(o, "created"));
	p->released = json_is_true(json_object_get(o, "released"));
	p->conf = json_deep_copy(conf);
	return p->conf ? 0 : -ENOMEM;
}

/* A pool number of the file: a slot that holds a pool. */
static int pool_ref(const struct lnd *l, const json_t *o)
{
	json_int_t n = json_integer_value(json_object_get(o, "pool"));

	return json_is_integer(json_object_get(o, "pool")) && n >= 0 && n < LND_MAX_POOLS &&
	       l->pools[n].id[0] ? (int)n : -EINVAL;
}

static int net_in(struct lnd *l, const json_t *o, size_t i)
{
	struct net *n = &l->nets[i];
	int pool = pool_ref(l, o);

	if (i >= LND_MAX_NETS || pool < 0 || str_in(o, "id", n->id, sizeof(n->id)) < 0 ||
	    !n->id[0]) {
		if (i < LND_MAX_NETS)
			memset(n, 0, sizeof(*n));
		return -EINVAL;
	}
	n->pool = pool;
	return 0;
}

static int claim_in(struct lnd *l, const json_t *o, size_t i)
{
	struct claim *cl = &l->claims[i];
	int pool = pool_ref(l, o), r;

	if (i >= LND_MAX_CLAIMS || pool < 0)
		return -EINVAL;
	if (str_in(o, "address", cl->address, sizeof(cl->address)) < 0 ||
	    str_in(o, "mac", cl->mac, sizeof(cl->mac)) < 0 ||
	    str_in(o, "endpoint", cl->endpoint, sizeof(cl->endpoint)) < 0 ||
	    !json_string_value(json_object_get(o, "container_id")) ||
	    !json_string_value(json_object_get(o, "netns")) ||
	    !json_string_value(json_object_get(o, "moved")))
		r = -EINVAL;
	else
		r = lnd_attach_restore(json_string_value(json_object_get(o, "container_id")),
				       json_string_value(json_object_get(o, "netns")),
				       json_is_true(json_object_get(o, "pinned")),
				       json_object_get(o, "result"),
				       json_string_value(json_object_get(o, "moved")), &cl->att);
	if (r < 0) {
		memset(cl, 0, sizeof(*cl));
		cl->pool = -1;
		return r;
	}
	cl->pool = pool;
	return 0;
}

/* Fills l from doc; on failure *what and *at say which entry. */
static int entries_in(struct lnd *l, const json_t *doc, const char **what, size_t *at)
{
	const json_t *v;
	size_t i;
	int r;

	*what = "pools";
	json_array_foreach(json_object_get(doc, "pools"), i, v)
		if (*at = i, (r = pool_in(l, v)) < 0)
			return r;
	*what = "nets";
	json_array_foreach(json_object_get(doc, "nets"), i, v)
		if (*at = i, (r = net_in(l, v, i)) < 0)
			return r;
	*what = "claims";
	json_array_foreach(json_object_get(doc, "claims"), i, v)
		if (*at = i, (r = claim_in(l, v, i)) < 0)
			return r;
	return 0;
}

int lnd_state_load(struct lnd *l)
{
	json_error_t jerr;
	struct stat st;
	const char *what = "";
	json_t *doc;
	size_t at = 0;
	int r;

	if (!l->state)
		return 0;
	if (stat(l->state, &st) < 0 && errno == ENOENT)
		return 0;
	doc = json_load_file(l->state, 0, &jerr);
	if (!doc) {
		log_err("the state file '%s' cannot be read: %s (line %d)", l->state, jerr.text,
			jerr.line);
		return -EINVAL;
	}
	if (json_integer_value(json_object_get(doc, "version")) != STATE_VERSION ||
	    json_array_size(json_object_get(doc, "pools")) > LND_MAX_POOLS ||
	    json_array_size(json_object_get(doc, "nets")) > LND_MAX_NETS ||
	    json_array_size(json_object_get(doc, "claims")) > LND_MAX_CLAIMS) {
		log_err("the state file '%s' is not a version %d state of superfluid-docker",
			l->state, STATE_VERSION);
		r = -EINVAL;
	} else if ((r = entries_in(l, doc, &what, &at)) < 0) {
		log_err("the state file '%s': %s[%zu] is malformed", l->state, what, at);
		r = r == -ENOMEM ? r : -EINVAL;
	} else {
		log_info("state '%s': %zu pool(s), %zu network(s), %zu address(es) restored",
			 l->state, json_array_size(json_object_get(doc, "pools")),
			 json_array_size(json_object_get(doc, "nets")),
			 json_array_size(json_object_get(doc, "claims")));
	}
	json_decref(doc);
	return r;
}
