#include "netns/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

int netns_open(const char *path, int *ret_fd)
{
	struct statfs sfs;
	int fd, type, r;

	/* O_NONBLOCK: opening a FIFO someone passed as a namespace must not hang. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) < 0) {
		r = -errno;
		goto out;
	}
	if (sfs.f_type != NSFS_MAGIC) {
		r = -EINVAL;  /* not a namespace at all */
		goto out;
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0 && errno != ENOTTY) {
		r = -errno;
		goto out;
	}
	/* ENOTTY: a kernel before 4.11 cannot tell the type; nsfs will do. */
	if (type >= 0 && type != CLONE_NEWNET) {
		r = -EINVAL;  /* a namespace, of another kind */
		goto out;
	}
	*ret_fd = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

struct job {
	int netns_fd;       /* -1: unshare a new namespace instead of joining */
	int (*fn)(void *arg);
	void *arg;
	int result;
};

/* The helper thread: switches namespace, does its job, exits.  It never
 * switches back, so a failure to do so cannot leave it in the wrong place. */
static void *job_thread(void *p)
{
	struct job *job = p;
	int r = job->netns_fd >= 0 ? setns(job->netns_fd, CLONE_NEWNET) : unshare(CLONE_NEWNET);

	job->result = r < 0 ? -errno : job->fn(job->arg);
	return NULL;
}

static int run_job(struct job *job)
{
	pthread_t t;
	int r;

	r = pthread_create(&t, NULL, job_thread, job);
	if (r)
		return -r;
	r = pthread_join(t, NULL);
	if (r)
		return -r;
	return job->result;
}

int netns_run(int netns_fd, int (*fn)(void *arg), void *arg)
{
	struct job job = { .netns_fd = netns_fd, .fn = fn, .arg = arg };

	if (netns_fd < 0)
		return -EBADF;
	return run_job(&job);
}

static int open_own_netns(void *arg)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	*(int *)arg = fd;
	return 0;
}

int netns_new_anonymous(int *ret_fd)
{
	int fd = -1;
	struct job job = { .netns_fd = -1, .fn = open_own_netns, .arg = &fd };
	int r = run_job(&job);

	if (r < 0)
		return r;
	*ret_fd = fd;
	return 0;
}

static int open_nl(void *arg)
{
	return nl_sock_new(arg);
}

int netns_nl_open(int netns_fd, struct nl_sock **ret)
{
	struct nl_sock *s = NULL;
	int r = netns_run(netns_fd, open_nl, &s);

	if (r < 0)
		return r;
	*ret = s;
	return 0;
}

struct sysctl_job {
	const char *path;
	const char *value;   /* write this, or read when NULL */
	char *buf;
	size_t size;
};

static int sysctl_io(void *arg)
{
	struct sysctl_job *j = arg;
	size_t len = j->value ? strlen(j->value) : 0;
	ssize_t n;
	int fd, r;

	fd = open(j->path, (j->value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (j->value) {
		n = write(fd, j->value, len);
		r = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	} else {
		n = read(fd, j->buf, j->size - 1);
		r = n < 0 ? -errno : 0;
		if (n >= 0) {
			j->buf[n] = '\0';
			j->buf[strcspn(j->buf, "\n")] = '\0';
		}
	}
	close(fd);
	return r;
}

static int sysctl_path(const char *key, char *path, size_t size)
{
	int n;

	if (!key || !*key || key[0] == '/' || strstr(key, ".."))
		return -EINVAL;
	n = snprintf(path, size, "/proc/sys/net/%s", key);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int netns_sysctl_write(int netns_fd, const char *key, const char *value)
{
	char path[256];
	struct sysctl_job j = { .path = path, .value = value };
	int r = sysctl_path(key, path, sizeof(path));

	if (r < 0)
		return r;
	if (!value)
		return -EINVAL;
	return netns_run(netns_fd, sysctl_io, &j);
}

int netns_sysctl_read(int netns_fd, const char *key, char *buf, size_t size)
{
	char path[256];
	struct sysctl_job j = { .path = path, .buf = buf, .size = size };
	int r = sysctl_path(key, path, sizeof(path));

	if (r < 0)
		return r;
	if (size < 2)
		return -ENOBUFS;
	return netns_run(netns_fd, sysctl_io, &j);
}

int netns_same(int fd_a, int fd_b)
{
	struct stat a, b;

	if (fstat(fd_a, &a) < 0 || fstat(fd_b, &b) < 0)
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
