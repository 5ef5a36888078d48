/* sfwan: a userspace delay line between two interfaces, the test bed's
 * simulated WAN (this kernel has no netem).  Every frame received on one
 * interface is queued with its arrival time and sent, whole, out of the
 * other after the one-way delay.
 *
 *   sfwan [--delay-ms MS] [--jitter-ms MS] [--limit FRAMES]
 *         [--limit-bytes BYTES] IFACE_A IFACE_B
 *
 * --delay-ms defaults to $SF_TESTBED_WAN_DELAY_MS, else 15.  Jitter (off
 * by default) adds a uniform 0..MS to each frame, never reordering a
 * direction.  A full queue drops the frame and counts it.  SIGUSR1 prints
 * the counters, SIGTERM/SIGINT print them and exit 0.
 *
 * The interfaces must carry nothing else (no addresses: the kernel would
 * answer ARP there).  Frames keep their checksum state (PACKET_VNET_HDR)
 * and their VLAN tag (PACKET_AUXDATA, the tag is beside the frame); GSO
 * super-frames must be segmented before they reach us (the test bed sets
 * gso_max_segs 1 on the peers), their tunnel types have no vnet header. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define VNET_LEN ((uint32_t)sizeof(struct virtio_net_hdr))
#define MAX_FRAME (65536u + 64u)
#define READ_BUDGET 256

struct frame {
	uint64_t due_ns;
	uint32_t len; /* vnet header + frame */
	uint32_t cap;
	uint8_t *buf;
};

struct counters {
	uint64_t rx, rx_bytes, tx, tx_bytes;
	uint64_t drop_queue, drop_send, drop_rx, kernel_drops;
	size_t max_depth;
};

struct end {
	const char *ifname;
	int ifindex;
	int fd;
};

/* One direction: frames read on `in`, sent on `out`. */
struct dir {
	struct end *in, *out;
	struct frame *q; /* ring of `limit` slots */
	size_t head, n;
	uint64_t bytes, last_due_ns;
	struct counters c;
};

static struct {
	uint64_t delay_ns, jitter_ns;
	size_t limit;
	uint64_t limit_bytes;
	uint64_t rng;
} opt = { .limit = 4096, .limit_bytes = 8u << 20 };

static uint8_t scratch[MAX_FRAME + 4];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t jitter(void)
{
	if (!opt.jitter_ns)
		return 0;
	/* xorshift64: jitter needs no better randomness */
	opt.rng ^= opt.rng << 13;
	opt.rng ^= opt.rng >> 7;
	opt.rng ^= opt.rng << 17;
	return opt.rng % (opt.jitter_ns + 1);
}

static int end_open(struct end *e)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int one = 1, rcvbuf = 4 << 20, fd, r;

	e->ifindex = (int)if_nametoindex(e->ifname);
	if (!e->ifindex)
		return -errno;
	/* Protocol 0 until bound: no frame of another interface slips in. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	sll.sll_ifindex = e->ifindex;
	mr.mr_ifindex = e->ifindex;
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0 ||
	    /* our own sends out of this end are not frames to forward */
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		r = -errno;
		goto out;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	e->fd = fd;
	return 0;
out:
	close(fd);
	return r;
}

/* Puts back the VLAN tag the kernel keeps beside the frame. */
static uint32_t vlan_insert(uint8_t *buf, uint32_t len, const struct tpacket_auxdata *aux)
{
	struct virtio_net_hdr *vh = (struct virtio_net_hdr *)buf;
	uint8_t *eth = buf + VNET_LEN;
	uint16_t tpid = (aux->tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux->tp_vlan_tpid : ETH_P_8021Q;

	if (len < VNET_LEN + 2 * ETH_ALEN)
		return len;
	memmove(eth + 2 * ETH_ALEN + 4, eth + 2 * ETH_ALEN, len - VNET_LEN - 2 * ETH_ALEN);
	eth[12] = (uint8_t)(tpid >> 8);
	eth[13] = (uint8_t)tpid;
	eth[14] = (uint8_t)(aux->tp_vlan_tci >> 8);
	eth[15] = (uint8_t)aux->tp_vlan_tci;
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		vh->csum_start = (uint16_t)(vh->csum_start + 4);
	if (vh->hdr_len)
		vh->hdr_len = (uint16_t)(vh->hdr_len + 4);
	return len + 4;
}

static int enqueue(struct dir *d, const uint8_t *buf, uint32_t len, uint64_t t)
{
	struct frame *f;
	uint64_t due = t + opt.delay_ns + jitter();

	if (d->n == opt.limit || d->bytes + len > opt.limit_bytes) {
		d->c.drop_queue++;
		return 0;
	}
	f = &d->q[(d->head + d->n) % opt.limit];
	if (f->cap < len) {
		uint8_t *nb = realloc(f->buf, len);

		if (!nb)
			return -ENOMEM;
		f->buf = nb;
		f->cap = len;
	}
	memcpy(f->buf, buf, len);
	f->len = len;
	/* never reorder a direction, whatever the jitter */
	f->due_ns = due > d->last_due_ns ? due : d->last_due_ns;
	d->last_due_ns = f->due_ns;
	d->bytes += len;
	d->n++;
	if (d->n > d->c.max_depth)
		d->c.max_depth = d->n;
	return 0;
}

/* Reads what `in` holds (up to a budget), queueing each frame. */
static int dir_read(struct dir *d)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;

	for (int i = 0; i < READ_BUDGET; i++) {
		struct iovec iov = { .iov_base = scratch, .iov_len = MAX_FRAME };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
		const struct tpacket_auxdata *aux = NULL;
		ssize_t n = recvmsg(d->in->fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
		uint32_t len;
		int r;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			/* a GSO type without a vnet header (the kernel dropped
			 * it), or the link went down: count, go on */
			if (errno == EINVAL || errno == ENETDOWN || errno == ENOBUFS) {
				d->c.drop_rx++;
				continue;
			}
			return -errno;
		}
		if ((size_t)n > MAX_FRAME || (msg.msg_flags & MSG_TRUNC) || (size_t)n < VNET_LEN) {
			d->c.drop_rx++;
			continue;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA)
				aux = (const struct tpacket_auxdata *)CMSG_DATA(c);
		len = (uint32_t)n;
		if (aux && (aux->tp_status & TP_STATUS_VLAN_VALID))
			len = vlan_insert(scratch, len, aux);
		d->c.rx++;
		d->c.rx_bytes += len - VNET_LEN;
		r = enqueue(d, scratch, len, now_ns());
		if (r < 0)
			return r;
	}
	return 0;
}

/* Sends every frame that is due at NOW. */
static void dir_flush(struct dir *d, uint64_t now)
{
	while (d->n && d->q[d->head].due_ns <= now) {
		struct frame *f = &d->q[d->head];

		if (send(d->out->fd, f->buf, f->len, MSG_DONTWAIT) == (ssize_t)f->len) {
			d->c.tx++;
			d->c.tx_bytes += f->len - VNET_LEN;
		} else {
			d->c.drop_send++;
		}
		d->bytes -= f->len;
		d->head = (d->head + 1) % opt.limit;
		d->n--;
	}
}

static void dir_stats(struct dir *d)
{
	struct tpacket_stats st;
	socklen_t sl = sizeof(st);

	/* reading the kernel's counters resets them: accumulate */
	if (getsockopt(d->in->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0)
		d->c.kernel_drops += st.tp_drops;
	printf("sfwan: stats %s>%s rx=%llu rx_bytes=%llu tx=%llu tx_bytes=%llu drop_queue=%llu "
	       "drop_send=%llu drop_rx=%llu kernel_drops=%llu queued=%zu max_depth=%zu\n",
	       d->in->ifname, d->out->ifname, (unsigned long long)d->c.rx,
	       (unsigned long long)d->c.rx_bytes, (unsigned long long)d->c.tx,
	       (unsigned long long)d->c.tx_bytes, (unsigned long long)d->c.drop_queue,
	       (unsigned long long)d->c.drop_send, (unsigned long long)d->c.drop_rx,
	       (unsigned long long)d->c.kernel_drops, d->n, d->c.max_depth);
}

static int timer_arm(int tfd, struct dir *dirs)
{
	struct itimerspec its = { 0 };
	uint64_t due = UINT64_MAX;

	for (int i = 0; i < 2; i++)
		if (dirs[i].n && dirs[i].q[dirs[i].head].due_ns < due)
			due = dirs[i].q[dirs[i].head].due_ns;
	if (due != UINT64_MAX) {
		/* zero would disarm: a due time in the past is 1 ns */
		due = due ? due : 1;
		its.it_value.tv_sec = (time_t)(due / 1000000000u);
		its.it_value.tv_nsec = (long)(due % 1000000000u);
	}
	return timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ? -errno : 0;
}

static int parse_ms(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 60000)
		return -EINVAL;
	*ns = (uint64_t)(v * 1e6 + 0.5);
	return 0;
}

static int parse_args(int argc, char **argv, struct end *ends)
{
	static const struct option lo[] = {
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "jitter-ms", required_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'l' },
		{ "limit-bytes", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *env = getenv("SF_TESTBED_WAN_DELAY_MS");
	char *end;
	int c;

	if (parse_ms(env && *env ? env : "15", &opt.delay_ns) < 0)
		return -EINVAL;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_ms(optarg, &opt.delay_ns) < 0)
				return -EINVAL;
			break;
		case 'j':
			if (parse_ms(optarg, &opt.jitter_ns) < 0)
				return -EINVAL;
			break;
		case 'l':
			opt.limit = strtoul(optarg, &end, 10);
			if (*end || !opt.limit || opt.limit > (1u << 20))
				return -EINVAL;
			break;
		case 'b':
			opt.limit_bytes = strtoull(optarg, &end, 10);
			if (*end || opt.limit_bytes < MAX_FRAME)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	if (argc - optind != 2)
		return -EINVAL;
	ends[0].ifname = argv[optind];
	ends[1].ifname = argv[optind + 1];
	return 0;
}

int main(int argc, char **argv)
{
	struct end ends[2] = { { .fd = -1 }, { .fd = -1 } };
	struct dir dirs[2] = { { .in = &ends[0], .out = &ends[1] },
			       { .in = &ends[1], .out = &ends[0] } };
	struct epoll_event ev, evs[4];
	int ep = -1, tfd = -1, sfd = -1, r = 0, rc = 1;
	bool running = true;
	sigset_t mask;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, ends) < 0) {
		fprintf(stderr, "usage: sfwan [--delay-ms MS] [--jitter-ms MS] [--limit FRAMES] "
				"[--limit-bytes BYTES] IFACE_A IFACE_B\n");
		return 2;
	}
	opt.rng = now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 2; i++) {
		dirs[i].q = calloc(opt.limit, sizeof(*dirs[i].q));
		if (!dirs[i].q) {
			r = -ENOMEM;
			goto out;
		}
		r = end_open(&ends[i]);
		if (r < 0) {
			fprintf(stderr, "sfwan: %s: %s\n", ends[i].ifname, strerror(-r));
			goto out;
		}
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		r = -errno;
		goto out;
	}
	for (int i = 0; i < 4; i++) {
		int fd = i < 2 ? ends[i].fd : i == 2 ? tfd : sfd;

		ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = (uint32_t)i };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			r = -errno;
			goto out;
		}
	}
	printf("sfwan: %s <-> %s, delay %.3f ms one way, jitter %.3f ms, limit %zu frames / %llu bytes\n",
	       ends[0].ifname, ends[1].ifname, opt.delay_ns / 1e6, opt.jitter_ns / 1e6, opt.limit,
	       (unsigned long long)opt.limit_bytes);
	while (running) {
		int n = epoll_wait(ep, evs, 4, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		for (int i = 0; i < n; i++) {
			uint32_t k = evs[i].data.u32;
			struct signalfd_siginfo si;
			uint64_t ticks;

			if (k < 2) {
				r = dir_read(&dirs[k]);
				if (r < 0) {
					fprintf(stderr, "sfwan: %s: %s\n", ends[k].ifname, strerror(-r));
					goto out;
				}
			} else if (k == 2) {
				(void)!read(tfd, &ticks, sizeof(ticks));
			} else {
				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGUSR1) {
						dir_stats(&dirs[0]);
						dir_stats(&dirs[1]);
					} else {
						running = false;
					}
				}
			}
		}
		uint64_t now = now_ns();

		dir_flush(&dirs[0], now);
		dir_flush(&dirs[1], now);
		r = timer_arm(tfd, dirs);
		if (r < 0)
			goto out;
	}
	rc = 0;
out:
	if (r < 0)
		fprintf(stderr, "sfwan: %s\n", strerror(-r));
	if (ends[0].fd >= 0 && ends[1].fd >= 0) {
		dir_stats(&dirs[0]);
		dir_stats(&dirs[1]);
		printf("sfwan: exiting\n");
	}
	for (int i = 0; i < 2; i++) {
		if (ends[i].fd >= 0)
			close(ends[i].fd);
		for (size_t j = 0; dirs[i].q && j < opt.limit; j++)
			free(dirs[i].q[j].buf);
		free(dirs[i].q);
	}
	if (ep >= 0)
		close(ep);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}
