/* Network namespaces.
 *
 * A namespace switch (setns, unshare) only ever happens on a short-lived
 * helper thread made for it, which does its one job and exits: no thread
 * that does other work (or calls libcurl, or holds locks) ever lives in
 * another namespace.  What it opens there (a netlink socket, a file under
 * /proc/sys/net) stays bound to that namespace after the thread is gone.
 *
 * Every fd returned here is O_CLOEXEC and owned by the caller (close()). */
#ifndef SF_NETNS_NETNS_H
#define SF_NETNS_NETNS_H

#include "common/util.h"
#include "netlink/nl.h"

/* Opens `path` (a /run/netns/NAME bind mount, /proc/PID/ns/net, ...) and
 * checks that it IS a network namespace: -ENOENT if absent, -EINVAL if it
 * is not a namespace file (not on nsfs) or a namespace of another type. */
int netns_open(const char *path, int *ret_fd) MUST_CHECK;

/* Creates a new, empty network namespace (only "lo", down) that lives as
 * long as the returned fd or anything opened in it.  Needs CAP_SYS_ADMIN. */
int netns_new_anonymous(int *ret_fd) MUST_CHECK;

/* Runs fn(arg) on a new thread that has joined the namespace `netns_fd`,
 * waits for it, and returns what fn returned (fn returns 0 or -errno). */
int netns_run(int netns_fd, int (*fn)(void *arg), void *arg) MUST_CHECK;

/* A netlink socket that lives in `netns_fd`. */
int netns_nl_open(int netns_fd, struct nl_sock **ret) MUST_CHECK;

/* Writes `value` to /proc/sys/net/`key` as seen from `netns_fd`, e.g. key
 * "ipv6/conf/all/disable_ipv6".  Keys with ".." are refused (-EINVAL). */
int netns_sysctl_write(int netns_fd, const char *key, const char *value) MUST_CHECK;
/* Reads it back into buf (trailing newline removed). */
int netns_sysctl_read(int netns_fd, const char *key, char *buf, size_t size) MUST_CHECK;

/* 1 if the two fds are the same namespace, 0 if not, -errno. */
int netns_same(int fd_a, int fd_b) MUST_CHECK;

#endif
