/* fuzz_decap.c: libFuzzer harness for the datapath's receive side.
 *
 * The groups: contrib/seed.conf's inbound groups as 192.168.2.110 /
 * 3049:1::2 run them (tun comp esp ah, IPv4 and IPv6) and those of
 * tests/data/dp/xform.conf as 192.0.2.2 / 2001:db8::2 (esp-only tunnel
 * with AES-GCM and 4in6 with ChaCha20-Poly1305, ah-only transport with
 * port selectors, comp-only IPv6 tunnel, encryption-only ESP), with their
 * keys; their twins on the sending hosts.  The first input byte picks:
 *  - even: the rest is a datagram as received: xf_peek(), then, when its
 *    (protocol, SPI/CPI, destination) is an SA of an inbound group,
 *    xf_decap() there.  Seeds: the kernel's packets of tests/data/dp/
 *    (tests/fuzz/corpus/decap/), which pass every check.
 *  - odd: the rest is an inner packet, sent through the outbound twin of
 *    group (byte / 2) % ngroups with xf_encap() and received again with
 *    xf_decap(): past every ICV, so inflate, the tun header, TFC and the
 *    selectors see fuzzed bytes.  A packet that comes through must be the
 *    beginning of the one sent (TFC padding trimmed), byte for byte.
 * Windows are emptied before each input (the same input, the same path).
 * Return values must be 0, 1 or a drop reason; the packet must stay in its
 * buffer.  Build: clang -fsanitize=fuzzer,address,undefined with the core
 * and src/dp/ transforms, zlib and libcrypto.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "ipx.h"
#include "dpsnap.h"
#include "sadb.h"
#include "snap.h"
#include "xform.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

#define MAX_GROUPS 16

struct twin {
	struct xf_group rx, tx;
};

static struct twin groups[MAX_GROUPS];
static unsigned ngroups;
static struct xf_scratch *scr;
static uint8_t *buf, sent[PKT_MAX_IP];

/* The source tree: this file's path without tests/fuzz/fuzz_decap.c (the
 * harness runs in the build tree, where make compiled it). */
static void src_path(char *out, size_t len, const char *rel)
{
	const char *me = __FILE__, *end = strstr(me, "tests/fuzz/fuzz_decap.c");

	snprintf(out, len, "%.*s%s", (int)(end ? end - me : 0), me, rel);
}

static bool is_local(const struct ip_addr *a, void *arg)
{
	char text[IP_ADDR_BUF];

	ip_addr_format(a, text, sizeof(text));
	for (const char *const *l = arg; *l; l++)
		if (!strcmp(text, *l))
			return true;
	return false;
}

static struct sadb *load(const char *rel, const char *const *locals, struct cfg **c)
{
	struct cfg_errors errs = { 0 };
	struct cfg_parser *p = cfg_parser_new(rel, &errs);
	char path[4096], line[4096];
	struct sadb *db;
	FILE *f;

	/* the parser, not cfg_load(): the files hold test keys readable by all */
	src_path(path, sizeof(path), rel);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "fuzz_decap: cannot open %s\n", path);
		abort();
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		cfg_parser_line(p, line);
	}
	fclose(f);
	*c = cfg_parser_finish(p);
	if (!*c) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		abort();
	}
	db = sadb_build(*c, is_local, (void *)locals, &errs);
	CHECK(db);
	cfg_errors_free(&errs);
	return db;
}

static void fill(struct xf_group *g, const struct sadb_group *sg)
{
	struct reason why;

	g->snap = dpsnap_build(sg, NULL);
	CHECK(g->snap);
	g->g = dpsnap_group(g->snap);
	for (unsigned k = 0; k < g->g->nsa; k++) {
		g->live[k] = sa_live_new(g->g->sa[k].replay_window, g->g->sa[k].esn);
		CHECK(g->live[k]);
		CHECK(xf_sa_setup(g->live[k], &g->g->sa[k], &why) == 0);
	}
}

static void add_groups(const char *rel, const char *const *rx, const char *const *tx)
{
	struct cfg *crx, *ctx;
	struct sadb *drx = load(rel, rx, &crx), *dtx = load(rel, tx, &ctx);

	for (size_t i = 0; i < drx->ngroup && ngroups < MAX_GROUPS; i++) {
		const struct sadb_group *sg = drx->group[i];

		if (sg->dir != SADB_DIR_IN || sg->nsa == 0)
			continue;
		fill(&groups[ngroups].rx, sg);
		fill(&groups[ngroups].tx, sadb_find_group(dtx, sg->name));
		ngroups++;
	}
	sadb_free(drx);
	sadb_free(dtx);
	cfg_free(crx);
	cfg_free(ctx);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const right[] = { "192.168.2.110", "3049:1::2", NULL };
	static const char *const left[] = { "192.168.2.100", "3049:1::1", NULL };
	static const char *const h2[] = { "192.0.2.2", "2001:db8::2", NULL };
	static const char *const h1[] = { "192.0.2.1", "2001:db8::1", NULL };

	(void)argc;
	(void)argv;
	add_groups("contrib/seed.conf", right, left);
	add_groups("tests/data/dp/xform.conf", h2, h1);
	CHECK(ngroups >= 6);
	CHECK(xf_scratch_new(&scr) == 0);
	buf = malloc(PKT_BUF_SIZE);
	CHECK(buf);
	return 0;
}

static void reset(struct xf_group *g)
{
	for (unsigned k = 0; k < g->g->nsa; k++) {
		replay_init(&g->live[k]->replay, g->g->sa[k].replay_window, g->g->sa[k].esn);
		atomic_store(&g->live[k]->seq_next, 1);
		atomic_store(&g->live[k]->seq_limit, 1u << 20);
	}
}

static bool drop_reason(int r)
{
	return r < 0 && -r >= DP_DROP_ICV && -r < DP_DROP_NR;
}

static void check_bounds(const struct pkt *p)
{
	CHECK(p->base == buf && p->off <= p->cap && p->len <= p->cap - p->off);
}

/* Received as it is. */
static void as_received(const uint8_t *d, size_t n)
{
	struct xf_key key;
	struct pkt p;
	int r;

	pkt_init(&p, buf, PKT_BUF_SIZE);
	memcpy(pkt_put(&p, n), d, n);
	r = xf_peek(&p, &key);
	CHECK(r == 0 || r == -DP_DROP_MALFORMED || r == -EPROTONOSUPPORT);
	if (r < 0)
		return;
	for (unsigned i = 0; i < ngroups; i++) {
		const struct dpsnap_group *g = groups[i].rx.g;

		for (unsigned k = 0; k < g->nsa; k++) {
			const struct dpsnap_sa *sa = &g->sa[k];
			bool tun = sa->said.proto == SAID_PROTO_TUN;

			if ((tun ? key.proto != 4 && key.proto != 41 : key.proto != sa->said.proto) ||
			    (!tun && key.spi != sa->said.spi) || !ip_addr_equal(&key.dst, &sa->said.dst))
				continue;
			reset(&groups[i].rx);
			r = xf_decap(&groups[i].rx, k, &p, scr);
			CHECK(r == 0 || r == 1 || drop_reason(r));
			check_bounds(&p);
			return;
		}
	}
}

/* Sent through a group and received again. */
static void round_trip(unsigned gi, const uint8_t *d, size_t n)
{
	struct twin *t = &groups[gi % ngroups];
	struct pkt p;
	int r;

	reset(&t->tx);
	reset(&t->rx);
	pkt_init(&p, buf, PKT_BUF_SIZE);
	memcpy(pkt_put(&p, n), d, n);
	/* the receiver recomputes an IPv4 header checksum (transport mode):
	 * send a right one */
	if (n >= 20 && d[0] >> 4 == 4 && (size_t)(d[0] & 15) * 4 <= n)
		ipx_fix_csum(pkt_data(&p));
	memcpy(sent, pkt_data(&p), n);
	r = xf_encap(&t->tx, &p, scr);
	CHECK(r == 0 || drop_reason(r));
	check_bounds(&p);
	if (r < 0)
		return;
	r = xf_decap(&t->rx, t->rx.g->nsa - 1, &p, scr);
	CHECK(r == 0 || r == 1 || drop_reason(r));
	check_bounds(&p);
	if (r == 0)
		CHECK(p.len <= n && !memcmp(pkt_data(&p), sent, p.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > PKT_MAX_IP)
		return 0;
	if (data[0] & 1)
		round_trip(data[0] >> 1, data + 1, size - 1);
	else
		as_received(data + 1, size - 1);
	return 0;
}
