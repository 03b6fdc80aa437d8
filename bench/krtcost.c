/* krtcost.c: the cost of the KLIPS commands' runtime objects (klips_rt.h)
 * at scale: reading state-dir/runtime at start, and one change on the
 * control socket, as the daemon does them (src/daemon/klipsrt.c).
 *
 * The runtime file is made of N/4 links of a KLIPS manual-keying script
 * (tun + esp out to a peer, grouped, with an eroute; tun + esp in from it,
 * grouped), each to its own peer: N SAs, N/2 links, N/4 eroutes.  Timed,
 * best of ROUNDS: klips_rt_load() of the text, klips_rt_save(),
 * klips_rt_merge(), sadb_build() of the merged config, and one transaction
 * (klips_rt_copy(), klips_rt_apply() of an `spi`, the merge, sadb_build()).
 *
 * Usage: krtcost [N [ROUNDS]]   (default 5000 SAs, 3 rounds)
 *        krtcost -f FILE       one round on FILE (a runtime file, any
 *                              content: lines left out are counted), with
 *                              the peak RSS
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "cfg.h"
#include "klips_args.h"
#include "klips_rt.h"
#include "sadb.h"

#define K24 "0x0123456789abcdef0123456789abcdef0123456789abcdef"
#define K20 "0x0123456789abcdef0123456789abcdef01234567"
#define ESP " --esp 3des-sha1-96 --enckey " K24 " --authkey " K20
#define US "192.1.2.45"

static bool is_us(const struct ip_addr *a, void *arg)
{
	char t[IP_ADDR_BUF];

	(void)arg;
	ip_addr_format(a, t, sizeof(t));
	return !strcmp(t, US);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void script(struct strbuf *b, unsigned links)
{
	for (unsigned i = 0; i < links; i++) {
		char peer[32];
		unsigned out = 0x1000 + 2 * i, in = out + 1;

		snprintf(peer, sizeof(peer), "10.%u.%u.1", i >> 8, i & 255);
		strbuf_printf(b, "spi --said tun.%x@%s --src " US " --ip4 --dst %s\n", out, peer, peer);
		strbuf_printf(b, "spi --said esp.%x@%s --src " US ESP "\n", out, peer);
		strbuf_printf(b, "spi --said tun.%x@" US " --src %s --ip4 --dst " US "\n", in, peer);
		strbuf_printf(b, "spi --said esp.%x@" US " --src %s" ESP "\n", in, peer);
		strbuf_printf(b, "spigrp --said tun.%x@%s esp.%x@%s\n", out, peer, out, peer);
		strbuf_printf(b, "spigrp --said tun.%x@" US " esp.%x@" US "\n", in, in);
		strbuf_printf(b, "eroute --add --src 100.64.%u.%u/32 --dst 100.96.%u.%u/32 "
			      "--said tun.%x@%s\n", i >> 8, i & 255, i >> 8, i & 255, out, peer);
	}
}

/* One request line applied to @k. */
static int apply(struct klips_rt *k, const struct cfg *file, const char *line)
{
	char buf[512], *argv[32], *save = NULL;
	struct strbuf out = STRBUF_INIT;
	struct klips_req req;
	struct klips_msg msg;
	int argc = 0, r = -1;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok_r(buf, " ", &save); w && argc < 31; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (klips_parse(KLIPS_SPI, argc, argv, NULL, NULL, &req, &msg) == 1)
		r = klips_rt_apply(k, file, &req, &out);
	klips_req_wipe(&req);
	strbuf_free(&out);
	return r;
}

struct best {
	double load, save, merge, build, change;
};

static void keep(double *best, double t)
{
	if (*best == 0 || t < *best)
		*best = t;
}

static void round_once(const struct cfg *file, const char *text, struct best *b)
{
	struct klips_rt k = { 0 }, copy = { 0 };
	struct strbuf notes = STRBUF_INIT, saved = STRBUF_INIT;
	struct cfg_errors errs = { 0 };
	struct sadb *db;
	struct cfg *c;
	double t;

	t = now();
	if (klips_rt_load(&k, file, text, &notes) != 0) {
		fprintf(stderr, "krtcost: load: %s", notes.s ? notes.s : "?\n");
		exit(1);
	}
	keep(&b->load, now() - t);
	t = now();
	if (klips_rt_save(&k, &saved) < 0)
		exit(1);
	keep(&b->save, now() - t);
	t = now();
	c = klips_rt_merge(file, &k, is_us, NULL, &notes);
	keep(&b->merge, now() - t);
	t = now();
	db = c ? sadb_build(c, is_us, NULL, &errs) : NULL;
	keep(&b->build, now() - t);
	if (!db) {
		fprintf(stderr, "krtcost: the model: %s\n", errs.n ? errs.msg[0] : "out of memory");
		exit(1);
	}
	sadb_free(db);
	cfg_free(c);

	t = now();
	if (klips_rt_copy(&copy, &k) < 0 ||
	    apply(&copy, file, "spi --said esp.ffff@10.255.255.1 --src " US ESP) != 0)
		exit(1);
	c = klips_rt_merge(file, &copy, is_us, NULL, &notes);
	db = c ? sadb_build(c, is_us, NULL, &errs) : NULL;
	keep(&b->change, now() - t);
	if (!db)
		exit(1);
	sadb_free(db);
	cfg_free(c);
	klips_rt_free(&copy);
	klips_rt_free(&k);
	strbuf_free(&notes);
	strbuf_free(&saved);
	cfg_errors_free(&errs);
}

/* One round on the text of @path, for the worst cases of a 4 MiB file. */
static int one_file(const struct cfg *file, const char *path)
{
	struct klips_rt k = { 0 };
	struct strbuf notes = STRBUF_INIT, text = STRBUF_INIT;
	struct cfg_errors errs = { 0 };
	struct sadb *db = NULL;
	struct rusage ru;
	struct cfg *c;
	char buf[65536];
	size_t n;
	double t0, t1, t2;
	FILE *f = fopen(path, "r");
	int left;

	if (!f)
		return 1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&text, buf, n);
	fclose(f);
	if (!text.s)
		return 1;
	t0 = now();
	left = klips_rt_load(&k, file, text.s, &notes);
	t1 = now();
	c = klips_rt_merge(file, &k, is_us, NULL, &notes);
	if (c)
		db = sadb_build(c, is_us, NULL, &errs);
	t2 = now();
	getrusage(RUSAGE_SELF, &ru);
	printf("krtcost: %s: %zu bytes, %d line(s) left out (%zu bytes of notes): %zu SAs, %zu links, "
	       "%zu eroutes; load %.1f ms, merge and build %.1f ms (%s); peak RSS %ld MiB\n", path,
	       text.len, left, notes.len, k.nsa, k.nlink, k.ner, (t1 - t0) * 1e3, (t2 - t1) * 1e3,
	       db ? "a model" : errs.n ? "refused" : "out of memory", ru.ru_maxrss / 1024);
	sadb_free(db);
	cfg_free(c);
	cfg_errors_free(&errs);
	klips_rt_free(&k);
	strbuf_free(&notes);
	strbuf_free(&text);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 && argv[1][0] != '-' ? (unsigned)strtoul(argv[1], NULL, 0) : 5000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 3;
	struct cfg_errors errs = { 0 };
	struct cfg_parser *p = cfg_parser_new("krtcost", &errs);
	struct strbuf text = STRBUF_INIT;
	struct best b = { 0 };
	struct cfg *file;

	if (!p || n < 4 || n / 4 > 65536)
		return 2;
	cfg_parser_line(p, "[daemon]");
	file = cfg_parser_finish(p);
	if (!file)
		return 1;
	if (argc > 2 && !strcmp(argv[1], "-f"))
		return one_file(file, argv[2]);
	script(&text, n / 4);
	for (unsigned r = 0; r < rounds; r++)
		round_once(file, text.s, &b);
	printf("krtcost: %u SAs, %u links, %u eroutes, %zu bytes of runtime file\n", n / 4 * 4,
	       n / 4 * 2, n / 4, text.len);
	printf("krtcost: load %.1f ms, save %.1f ms, merge %.1f ms, sadb_build %.1f ms; "
	       "one change (copy, apply, merge, build) %.1f ms\n",
	       b.load * 1e3, b.save * 1e3, b.merge * 1e3, b.build * 1e3, b.change * 1e3);
	strbuf_free(&text);
	cfg_free(file);
	return 0;
}
