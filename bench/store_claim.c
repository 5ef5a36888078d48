/* Micro-benchmark of the store's hot path: claim + release latency, with
 * synchronous=NORMAL and FULL, on a real file system.  Built and run by
 * bench/store.sh.
 *
 *   store_claim [-d DIR] [-n CYCLES] [-t THREADS] [-p PORTS]
 *
 * Each thread claims a port for its own holder and releases it, CYCLES
 * times in all; cooled ports return to READY every PORTS/2 cycles, as the
 * daemon's timer would do.  Several threads measure the cost of sharing
 * one connection behind a mutex. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

struct run {
	struct store *s;
	int ports;
	int cycles;          /* this thread's */
	int id;
	uint64_t *claim_us;  /* one sample per cycle */
	uint64_t *release_us;
	int err;
};

static void *run_thread(void *arg)
{
	struct run *r = arg;
	char cid[32];

	snprintf(cid, sizeof(cid), "bench-%d", r->id);
	for (int i = 0; i < r->cycles; i++) {
		uint64_t t0, t1, t2;
		int e;

		t0 = util_now_us();
		e = store_claim(r->s, "pool", cid, "eth0", "/run/netns/bench", NULL);
		t1 = util_now_us();
		if (e == -ENOENT) {     /* everything cooling: let it back, retry */
			if (store_expire_cooldowns(r->s, store_clock_ms()) < 0) {
				r->err = -EIO;
				break;
			}
			i--;
			continue;
		}
		if (e < 0) {
			r->err = e;
			break;
		}
		e = store_release(r->s, cid, "eth0", 0, NULL);
		t2 = util_now_us();
		if (e < 0) {
			r->err = e;
			break;
		}
		r->claim_us[i] = t1 - t0;
		r->release_us[i] = t2 - t1;
		if (i % (r->ports / 2 + 1) == 0 &&
		    store_expire_cooldowns(r->s, store_clock_ms()) < 0) {
			r->err = -EIO;
			break;
		}
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("  %-8s p50 %6llu us  p99 %6llu us  p99.9 %6llu us  max %6llu us\n", what,
	       (unsigned long long)v[n / 2], (unsigned long long)v[n * 99 / 100],
	       (unsigned long long)v[n * 999 / 1000], (unsigned long long)v[n - 1]);
}

static int bench(const char *dir, bool full, int cycles, int threads, int ports)
{
	struct store_options o = { .sync_full = full };
	char tmp[256], path[300], id[64];
	uint64_t *claim = calloc((size_t)cycles, sizeof(*claim));
	uint64_t *release = calloc((size_t)cycles, sizeof(*release));
	struct run *runs = calloc((size_t)threads, sizeof(*runs));
	pthread_t *th = calloc((size_t)threads, sizeof(*th));
	struct store *s = NULL;
	uint64_t start, took;
	int r, per = cycles / threads;

	if (!claim || !release || !runs || !th) {
		r = -ENOMEM;
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/sf-bench-XXXXXX", dir);
	if (!mkdtemp(tmp)) {
		r = -errno;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/state.db", tmp);
	r = store_open_with(path, &o, &s);
	if (r < 0)
		goto out_dir;
	for (int i = 0; i < ports && r >= 0; i++) {
		struct store_port p = {
			.port_id = id, .pool = "pool", .network_id = "net", .mac = "fa:16:3e:00:00:01",
			.info = "{\"ips\":[\"10.0.0.5/24\"],\"gateway\":\"10.0.0.1\",\"mtu\":1450}",
			.state = STORE_PORT_READY, .synced = true,
		};

		snprintf(id, sizeof(id), "%08x-0000-4000-8000-000000000000", i);
		r = store_insert(s, &p);
	}
	if (r < 0)
		goto out_store;

	start = util_now_us();
	for (int t = 0; t < threads; t++) {
		runs[t] = (struct run){ .s = s, .ports = ports, .cycles = per, .id = t,
					.claim_us = claim + (size_t)t * per,
					.release_us = release + (size_t)t * per };
		pthread_create(&th[t], NULL, run_thread, &runs[t]);
	}
	for (int t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		if (runs[t].err < 0)
			r = runs[t].err;
	}
	took = util_now_us() - start;
	if (r < 0)
		goto out_store;
	printf("synchronous=%s, %d threads, %d cycles, %.0f cycles/s\n", full ? "FULL" : "NORMAL",
	       threads, per * threads, (double)per * threads * 1e6 / (double)took);
	report("claim", claim, (size_t)per * threads);
	report("release", release, (size_t)per * threads);
out_store:
	store_free(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-wal", tmp);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state.db-shm", tmp);
	unlink(path);
out_dir:
	rmdir(tmp);
out:
	free(claim);
	free(release);
	free(runs);
	free(th);
	return r;
}

int main(int argc, char **argv)
{
	const char *dir = "/var/tmp";
	int cycles = 10000, threads = 1, ports = 64, c, r;

	while ((c = getopt(argc, argv, "d:n:t:p:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': cycles = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'p': ports = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-d DIR] [-n CYCLES] [-t THREADS] [-p PORTS]\n",
				argv[0]);
			return 2;
		}
	}
	if (cycles < 100 || threads < 1 || threads > 64 || ports < threads) {
		fprintf(stderr, "need CYCLES >= 100, 1 <= THREADS <= 64, PORTS >= THREADS\n");
		return 2;
	}
	for (int full = 0; full <= 1; full++) {
		r = bench(dir, full, cycles, threads, ports);
		if (r < 0) {
			fprintf(stderr, "store_claim: %s\n", strerror(-r));
			return 1;
		}
	}
	return 0;
}
