/* The Docker driver's attachments: CNI ADD/DEL through superfluidd's
 * socket, the parked namespace, the move out (lnd_attach.h). */
#include "libnetwork/lnd_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cni/env.h"
#include "cni/error.h"
#include "cni/wire.h"
#include "netlink/nl.h"
#include "netns/netns.h"

/* One verb through the daemon: on exit 0, *ret_stdout (caller frees) is
 * what the plugin would print; on a CNI error, its msg goes to why and the
 * call returns -EPROTO. */
static int daemon_verb(const char *socket, const char *verb, const char *cid,
		       const char *netns, const json_t *conf, char **ret_stdout, char *why,
		       size_t why_size)
{
	struct cni_env_raw env = { .command = verb, .container_id = cid, .netns = netns,
				   .ifname = LND_IFNAME, .path = "/opt/cni/bin" };
	struct cni_error cerr;
	struct wire_reply *rep = NULL;
	char *stdin_text = NULL, *req = NULL, *ans = NULL;
	size_t req_len, ans_len;
	json_t *e = NULL;
	int r;

	cni_error_init(&cerr);
	stdin_text = json_dumps(conf, JSON_COMPACT);
	if (!stdin_text) {
		r = -ENOMEM;
		goto out;
	}
	r = wire_request_build(&env, stdin_text, strlen(stdin_text), &req, &req_len, &cerr);
	if (r < 0) {
		snprintf(why, why_size, "%s", cerr.msg);
		goto out;
	}
	r = wire_call(socket, req, req_len, WIRE_DEFAULT_TIMEOUT_MS, &ans, &ans_len, NULL);
	if (r < 0) {
		snprintf(why, why_size, "superfluidd at '%s' did not answer: %s", socket,
			 strerror(-r));
		goto out;
	}
	r = wire_reply_parse(ans, ans_len, &rep);
	if (r < 0) {
		snprintf(why, why_size, "superfluidd's reply is malformed");
		goto out;
	}
	if (rep->exit_code != 0) {
		e = json_loads(rep->stdout_text, 0, NULL);
		snprintf(why, why_size, "superfluidd: %s%s%s",
			 json_string_value(json_object_get(e, "msg")) ?: rep->stdout_text,
			 json_string_value(json_object_get(e, "details")) ? ": " : "",
			 json_string_value(json_object_get(e, "details")) ?: "");
		r = -EPROTO;
		goto out;
	}
	*ret_stdout = rep->stdout_text;
	rep->stdout_text = NULL;
	r = 0;
out:
	json_decref(e);
	wire_reply_free(rep);
	free(ans);
	free(req);
	free(stdin_text);
	return r;
}

int lnd_attach_add(const char *socket, const json_t *conf, struct lnd_attachment **ret,
		   char *why, size_t why_size)
{
	struct lnd_attachment *a;
	uint8_t rnd[16];
	char *out = NULL;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->park_fd = -1;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		r = -errno;
		snprintf(why, why_size, "getrandom: %s", strerror(-r));
		goto out;
	}
	strcpy(a->container_id, "docker-");
	for (size_t i = 0; i < sizeof(rnd); i++)
		sprintf(a->container_id + 7 + 2 * i, "%02x", rnd[i]);
	r = netns_new_anonymous(&a->park_fd);
	if (r < 0) {
		snprintf(why, why_size, "a namespace for the attachment: %s", strerror(-r));
		goto out;
	}
	snprintf(a->netns_path, sizeof(a->netns_path), "/proc/%d/fd/%d", (int)getpid(),
		 a->park_fd);
	r = daemon_verb(socket, "ADD", a->container_id, a->netns_path, conf, &out, why, why_size);
	if (r < 0)
		goto out;
	a->result = json_loads(out, 0, NULL);
	if (!json_is_object(a->result)) {
		snprintf(why, why_size, "superfluidd's CNI result is not a JSON object");
		r = -EBADMSG;
		/* The port is held: give it back. */
		char ignored[64];
		if (lnd_attach_del(socket, conf, a, ignored, sizeof(ignored)) < 0)
			snprintf(why, why_size, "superfluidd's CNI result is not JSON; DEL failed too");
		goto out;
	}
	*ret = a;
	a = NULL;
out:
	free(out);
	lnd_attachment_free(a);
	return r;
}

int lnd_attach_move_out(struct lnd_attachment *a, const char *name, char *why, size_t why_size)
{
	char buf[512];
	struct nl_sock *ns = NULL;
	struct nl_extack ext = { { 0 } };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int self = -1, idx, r;

	if (a->moved[0])
		return 0;
	r = netns_open("/proc/thread-self/ns/net", &self);
	if (r < 0) {
		snprintf(why, why_size, "our own namespace: %s", strerror(-r));
		goto out;
	}
	r = netns_nl_open(a->park_fd, &ns);
	if (r < 0) {
		snprintf(why, why_size, "netlink in the parked namespace: %s", strerror(-r));
		goto out;
	}
	r = nl_link_index(ns, LND_IFNAME, &idx);
	if (r < 0) {
		snprintf(why, why_size, "the attachment's interface: %s", strerror(-r));
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)self);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = nl_talk(ns, nlh, NULL, NULL, &ext);
	if (r < 0) {
		snprintf(why, why_size, "moving %s out as %s: %s%s%s", LND_IFNAME, name,
			 strerror(-r), ext.msg[0] ? ": " : "", ext.msg);
		goto out;
	}
	/* The placeholder the garbage collector looks for (lnd_attach.h). */
	r = nl_bridge_create(ns, &(struct nl_link_attrs){ .name = LND_IFNAME }, &ext);
	if (r < 0 && r != -EEXIST) {
		snprintf(why, why_size, "the placeholder %s: %s", LND_IFNAME, strerror(-r));
		goto out;
	}
	util_strlcpy(a->moved, name, sizeof(a->moved));
	r = 0;
out:
	nl_sock_free(ns);
	if (self >= 0)
		close(self);
	return r;
}

int lnd_attach_del(const char *socket, const json_t *conf, const struct lnd_attachment *a,
		   char *why, size_t why_size)
{
	char *out = NULL;
	int r;

	r = daemon_verb(socket, "DEL", a->container_id, a->netns_path, conf, &out, why, why_size);
	free(out);
	return r;
}

void lnd_attachment_free(struct lnd_attachment *a)
{
	if (!a)
		return;
	if (a->park_fd >= 0)
		close(a->park_fd);
	json_decref(a->result);
	free(a);
}
