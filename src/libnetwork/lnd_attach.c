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
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni/env.h"
#include "cni/error.h"
#include "cni/wire.h"
#include "common/log.h"
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
	struct lnd_refusal ref;
	char *stdin_text = NULL, *req = NULL;
	size_t req_len;
	int r;

	cni_error_init(&cerr);
	stdin_text = json_dumps(conf, JSON_COMPACT);
	if (!stdin_text)
		return -ENOMEM;
	r = wire_request_build(&env, stdin_text, strlen(stdin_text), &req, &req_len, &cerr);
	if (r < 0) {
		snprintf(why, why_size, "%s", cerr.msg);
		goto out;
	}
	r = lnd_ask(socket, req, req_len, ret_stdout, &ref);
	if (r < 0)
		snprintf(why, why_size, "%s", ref.why);
out:
	free(req);
	free(stdin_text);
	return r;
}

/* Pins namespace `fd` at PARK/<a's container id> (a bind mount on an
 * empty file) and points a->netns_path there. */
static int pin(struct lnd_attachment *a, const char *park, char *why, size_t why_size)
{
	char src[64];
	int fd, r;

	if (mkdir(park, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(why, why_size, "the park folder '%s': %s", park, strerror(-r));
		return r;
	}
	if (snprintf(a->netns_path, sizeof(a->netns_path), "%s/%s", park, a->container_id) >=
	    (int)sizeof(a->netns_path)) {
		snprintf(why, why_size, "the park folder '%s': its name is too long", park);
		return -ENAMETOOLONG;
	}
	fd = open(a->netns_path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
	if (fd < 0) {
		r = -errno;
		snprintf(why, why_size, "pinning the namespace at '%s': %s", a->netns_path,
			 strerror(-r));
		return r;
	}
	close(fd);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", a->park_fd);
	if (mount(src, a->netns_path, NULL, MS_BIND, NULL) < 0) {
		r = -errno;
		snprintf(why, why_size, "pinning the namespace at '%s': %s", a->netns_path,
			 strerror(-r));
		unlink(a->netns_path);
		return r;
	}
	a->pinned = true;
	return 0;
}

static void unpin(struct lnd_attachment *a)
{
	if (!a->pinned)
		return;
	if (umount2(a->netns_path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_warn_rl("unpinning '%s': %s", a->netns_path, strerror(errno));
	if (unlink(a->netns_path) < 0 && errno != ENOENT)
		log_warn_rl("removing '%s': %s", a->netns_path, strerror(errno));
	a->pinned = false;
}

int lnd_attach_add(const char *socket, const char *park, const json_t *conf,
		   struct lnd_attachment **ret, char *why, size_t why_size)
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
	if (park)
		r = pin(a, park, why, why_size);
	else
		snprintf(a->netns_path, sizeof(a->netns_path), "/proc/%d/fd/%d", (int)getpid(),
			 a->park_fd);
	if (r < 0)
		goto out;
	r = daemon_verb(socket, "ADD", a->container_id, a->netns_path, conf, &out, why, why_size);
	if (r < 0) {
		unpin(a);
		goto out;
	}
	a->result = json_loads(out, 0, NULL);
	if (!json_is_object(a->result)) {
		snprintf(why, why_size, "superfluidd's CNI result is not a JSON object");
		r = -EBADMSG;
		/* The port is held: give it back. */
		char ignored[64];
		if (lnd_attach_del(socket, conf, a, ignored, sizeof(ignored)) < 0)
			snprintf(why, why_size, "superfluidd's CNI result is not JSON; DEL failed too");
		unpin(a);   /* the collector releases what the DEL did not */
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
	if (a->park_fd < 0) {
		snprintf(why, why_size, "the attachment's namespace '%s' is gone", a->netns_path);
		return -ENOENT;
	}
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

int lnd_attach_del(const char *socket, const json_t *conf, struct lnd_attachment *a,
		   char *why, size_t why_size)
{
	char *out = NULL;
	int r;

	r = daemon_verb(socket, "DEL", a->container_id, a->netns_path, conf, &out, why, why_size);
	free(out);
	if (r == 0)
		unpin(a);
	return r;
}

int lnd_attach_restore(const char *container_id, const char *netns_path, bool pinned,
		       const json_t *result, const char *moved, struct lnd_attachment **ret)
{
	struct lnd_attachment *a;
	int r;

	if (!json_is_object(result))
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->park_fd = -1;
	if (util_strlcpy(a->container_id, container_id, sizeof(a->container_id)) < 0 ||
	    util_strlcpy(a->netns_path, netns_path, sizeof(a->netns_path)) < 0 ||
	    util_strlcpy(a->moved, moved, sizeof(a->moved)) < 0) {
		free(a);
		return -EINVAL;
	}
	a->pinned = pinned;
	/* An anonymous namespace went with the run that made it. */
	r = pinned ? netns_open(netns_path, &a->park_fd) : -ENOENT;
	if (r < 0)
		log_warn_rl("attachment %s: its namespace '%s' is gone (%s): DEL will release "
			    "its port", container_id, netns_path, strerror(-r));
	a->result = json_incref((json_t *)result);
	*ret = a;
	return 0;
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
