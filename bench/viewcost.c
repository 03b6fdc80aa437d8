/* viewcost.c: what the foreign view costs, stage by stage, without a
 * kernel: N ESP states (BENCH argument 1, default 10,000), each the NEWSA
 * of tests/data/kderive/events.bin with its own SPI, fed to the kernel
 * mirror one by one; every R events (argument 2, default 100: about what
 * the daemon's coalescing gathers) the view is derived (kderive) and its
 * three files rendered, as reconcile_publish() does.  Then the stages
 * once more at N: the mirror's bytes, kderive, each renderer.
 *
 *   bench/viewcost SRCDIR [N [R]]
 *
 * Prints seconds (CLOCK_PROCESS_CPUTIME_ID) per stage.  Not a test: the
 * figures go in a report (bench/README or an issue's closing note).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "kderive.h"
#include "kview.h"
#include "mirror.h"
#include "render.h"
#include "strbuf.h"
#include "xfrm_msg.h"

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The first message of @path, parsed (keys borrowed from *@buf). */
static int first_msg(const char *path, void **buf, struct xm_msg *m)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		return -errno;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	*buf = malloc((size_t)len);
	if (!*buf || fread(*buf, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return xm_parse(*buf, ((const struct nlmsghdr *)*buf)->nlmsg_len, m);
}

struct stage {
	double derive, spigrp, spi, eroute;
	size_t bytes;
};

/* One publication of the foreign view, as reconcile_publish() makes it. */
static int publish(const struct kmirror *km, struct stage *s)
{
	struct strbuf b = STRBUF_INIT;
	struct kview v = { 0 };
	double t0 = cpu_now(), t1, t2, t3, t4;
	int r;

	r = kderive(km, NULL, &v);
	t1 = cpu_now();
	if (!r)
		r = render_spigrp_kview(&v, CFG_SAID_SEED, &b);
	s->bytes = b.len;
	strbuf_free(&b);
	t2 = cpu_now();
	if (!r)
		r = render_spi(&v, CFG_SAID_SEED, (uint64_t)time(NULL), &b);
	s->bytes += b.len;
	strbuf_free(&b);
	t3 = cpu_now();
	if (!r)
		r = render_eroute(&v, CFG_SAID_SEED, &b);
	s->bytes += b.len;
	strbuf_free(&b);
	t4 = cpu_now();
	kview_clear(&v);
	s->derive += t1 - t0;
	s->spigrp += t2 - t1;
	s->spi += t3 - t2;
	s->eroute += t4 - t3;
	return r;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 0) : 10000;
	unsigned long every = argc > 3 ? strtoul(argv[3], NULL, 0) : 100;
	struct stage all = { 0 }, one = { 0 };
	struct kmirror *km = kmirror_new();
	double t0, tev = 0;
	unsigned long i, pubs = 0;
	char path[4096];
	struct xm_msg m;
	void *buf = NULL;

	if (argc < 2 || !km || !every) {
		fprintf(stderr, "usage: %s SRCDIR [N [R]]\n", argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/tests/data/kderive/events.bin", argv[1]);
	if (first_msg(path, &buf, &m) || m.type != XFRM_MSG_NEWSA) {
		fprintf(stderr, "%s: no NEWSA first\n", path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		m.sa.spi = htonl(0x10000000u + (uint32_t)i);
		m.sa.curlft.add_time = 1700000000u + i / 64;
		t0 = cpu_now();
		if (kmirror_event(km, &m) < 0)
			return 1;
		tev += cpu_now() - t0;
		if ((i + 1) % every == 0 || i + 1 == n) {
			if (publish(km, &all))
				return 1;
			pubs++;
		}
	}
	if (publish(km, &one))
		return 1;
	printf("states %lu, a publication every %lu events (%lu of them)\n", n, every, pubs);
	printf("  mirror: %.3f s for the events (%.2f us each), %zu bytes (%.0f B/state)\n", tev,
	       tev * 1e6 / (double)n, kmirror_bytes(km), (double)kmirror_bytes(km) / (double)n);
	printf("  all publications: kderive %.3f s, spigrp %.3f s, spi %.3f s, eroute %.3f s\n",
	       all.derive, all.spigrp, all.spi, all.eroute);
	printf("  total per event: %.1f us\n",
	       (tev + all.derive + all.spigrp + all.spi + all.eroute) * 1e6 / (double)n);
	printf("  one publication at %lu: kderive %.2f ms, spigrp %.2f ms, spi %.2f ms, "
	       "eroute %.2f ms, %zu bytes of text\n",
	       n, one.derive * 1e3, one.spigrp * 1e3, one.spi * 1e3, one.eroute * 1e3, one.bytes);
	kmirror_free(km);
	free(buf);
	return 0;
}
