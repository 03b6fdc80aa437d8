/* xfcost.c: the in-process cost per packet of each transform chain of the
 * userspace datapath (xform.h), for bench/datapath.sh.
 *
 * For each shape (an esp tunnel group per cipher, ah, comp, ipip, the
 * seed's tun comp esp ah) the same config is built twice, once as the
 * sending host and once as the receiving one; BATCH inner UDP packets of
 * SIZE bytes are encapsulated (timed), then decapsulated (timed), ROUNDS
 * times.  Prints nanoseconds per packet each way and the equivalent
 * throughput of one core in Mbit/s of inner packets, to put beside
 * `openssl speed -bytes SIZE` for the same algorithm.
 *
 * Usage: xfcost [SIZE [ROUNDS]]   (default 1400 bytes, 200 rounds)
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "dpsnap.h"
#include "pkt.h"
#include "salive.h"
#include "sadb.h"
#include "snap.h"
#include "xform.h"

#define BATCH 256

static const char *const shapes[][2] = {
	{ "esp-aes128gcm16", "enc = aes128gcm16\nenckey = 0x" "00112233445566778899aabbccddeeff01020304\n" },
	{ "esp-aes128-sha256", "enc = aes128\nenckey = 0x00112233445566778899aabbccddeeff\n"
			       "auth = sha256\nauthkey = 0x"
			       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n" },
	{ "esp-aes256gcm16", "enc = aes256gcm16\nenckey = 0x"
			     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff01020304\n" },
	{ "esp-chacha20poly1305", "enc = chacha20poly1305\nenckey = 0x"
				  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff01020304\n" },
	{ "ah-sha256", "auth = sha256\nauthkey = 0x"
		       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n" },
	{ "ipip", NULL },
	{ "seed-tun-comp-esp-ah", NULL },
};

static const char *seed_text =
	"[sa comp.3d0@10.0.0.2]\nsrc = 10.0.0.1\ncomp = deflate\nmode = tunnel\n"
	"[sa esp.187a101b@10.0.0.2]\nsrc = 10.0.0.1\nenc = aes128\n"
	"enckey = 0x0123456789abcdef0123456789abcdef\nauth = sha256\n"
	"authkey = 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
	"[sa ah.187a101a@10.0.0.2]\nsrc = 10.0.0.1\nauth = sha1\n"
	"authkey = 0xfedcba9876543210fedcba9876543210fedcba98\n"
	"[group g]\nsaid = comp.3d0@10.0.0.2 esp.187a101b@10.0.0.2 ah.187a101a@10.0.0.2\n"
	"src-ts = 10.1.0.0/16\ndst-ts = 10.2.0.0/16\n";

static void die(const char *what)
{
	fprintf(stderr, "xfcost: %s\n", what);
	exit(1);
}

static bool is_local(const struct ip_addr *a, void *arg)
{
	struct ip_addr me;

	if (ip_addr_parse((const char *)arg, &me, NULL, 0))
		return false;
	return ip_addr_equal(a, &me);
}

/* The config text of shape @i. */
static void shape_text(unsigned i, char *buf, size_t len)
{
	const char *proto = strncmp(shapes[i][0], "ah", 2) ? "esp" : "ah";

	if (!strcmp(shapes[i][0], "seed-tun-comp-esp-ah"))
		snprintf(buf, len, "%s", seed_text);
	else if (!shapes[i][1])
		snprintf(buf, len, "[sa tun.100@10.0.0.2]\nsrc = 10.0.0.1\n"
			 "[group g]\nsaid = tun.100@10.0.0.2\n"
			 "src-ts = 10.1.0.0/16\ndst-ts = 10.2.0.0/16\n");
	else
		snprintf(buf, len, "[sa %s.100@10.0.0.2]\nsrc = 10.0.0.1\nmode = tunnel\n%s"
			 "[group g]\nsaid = %s.100@10.0.0.2\n"
			 "src-ts = 10.1.0.0/16\ndst-ts = 10.2.0.0/16\n",
			 proto, shapes[i][1], proto);
}

struct side {
	struct cfg *cfg;
	struct sadb *db;
	struct xf_group xg;
};

/* Build the one group of @text as the host with address @me. */
static void side_build(struct side *s, const char *text, const char *me)
{
	struct cfg_errors errs = { 0 };
	struct cfg_parser *p = cfg_parser_new("xfcost", &errs);
	char *copy = strdup(text), *line, *save = NULL;
	const struct dpsnap_group *g;
	struct reason why;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		cfg_parser_line(p, line);
	free(copy);
	s->cfg = cfg_parser_finish(p);
	if (s->cfg)
		s->db = sadb_build(s->cfg, is_local, (void *)me, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (!s->cfg || !s->db || s->db->ngroup != 1)
		die("bad shape config");
	cfg_errors_free(&errs);
	memset(&s->xg, 0, sizeof(s->xg));
	s->xg.snap = dpsnap_build(s->db->group[0], NULL);
	if (!s->xg.snap)
		die("dpsnap_build");
	g = s->xg.g = dpsnap_group(s->xg.snap);
	for (unsigned k = 0; k < g->nsa; k++) {
		struct sa_live *l = sa_live_new(g->sa[k].replay_window, g->sa[k].esn);

		if (!l || xf_sa_setup(l, &g->sa[k], &why))
			die("xf_sa_setup");
		atomic_store(&l->seq_limit, UINT64_MAX);
		s->xg.live[k] = l;
	}
	s->xg.mtu = 65000;
}

static void side_free(struct side *s)
{
	for (unsigned k = 0; k < s->xg.g->nsa; k++)
		sa_live_put(s->xg.live[k]);
	snap_put(s->xg.snap);
	sadb_free(s->db);
	cfg_free(s->cfg);
}

/* An IPv4 UDP packet 10.1.0.1 -> 10.2.0.1 of @size bytes, pseudo-random
 * payload (so IPComp sees data that does not compress much). */
static void inner_packet(uint8_t *b, size_t size)
{
	uint32_t x = 0x12345678;

	memset(b, 0, 28);
	b[0] = 0x45;
	b[2] = (uint8_t)(size >> 8);
	b[3] = (uint8_t)size;
	b[8] = 64;
	b[9] = 17;
	b[12] = 10, b[13] = 1, b[15] = 1;
	b[16] = 10, b[17] = 2, b[19] = 1;
	b[20] = 0x30, b[21] = 0x39, b[22] = 0x13, b[23] = 0x89;
	b[24] = (uint8_t)((size - 20) >> 8);
	b[25] = (uint8_t)(size - 20);
	for (size_t i = 28; i < size; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 24);
	}
	/* IPv4 header checksum */
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[10] = (uint8_t)(~sum >> 8);
	b[11] = (uint8_t)~sum;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_shape(unsigned i, size_t size, unsigned rounds, uint8_t *bufs, const uint8_t *inner)
{
	char text[2048];
	struct side out, in;
	struct xf_scratch *s_out, *s_in;
	struct pkt p[BATCH];
	double t_enc = 0, t_dec = 0, t;
	unsigned long fails = 0, n = 0;

	shape_text(i, text, sizeof(text));
	side_build(&out, text, "10.0.0.1");
	side_build(&in, text, "10.0.0.2");
	if (xf_scratch_new(&s_out) || xf_scratch_new(&s_in))
		die("xf_scratch_new");
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned b = 0; b < BATCH; b++) {
			pkt_init(&p[b], bufs + (size_t)b * PKT_BUF_SIZE, PKT_BUF_SIZE);
			memcpy(pkt_put(&p[b], size), inner, size);
		}
		t = now();
		for (unsigned b = 0; b < BATCH; b++)
			fails += xf_encap(&out.xg, &p[b], s_out) != 0;
		t_enc += now() - t;
		t = now();
		for (unsigned b = 0; b < BATCH; b++) {
			struct xf_key key;
			unsigned k = in.xg.g->nsa - 1;

			if (xf_peek(&p[b], &key) || xf_decap(&in.xg, k, &p[b], s_in) || p[b].len != size)
				fails++;
		}
		t_dec += now() - t;
		n += BATCH;
	}
	printf("%-22s %5zu B  encap %7.0f ns/pkt (%6.0f Mbit/s)  decap %7.0f ns/pkt (%6.0f Mbit/s)%s\n",
	       shapes[i][0], size, t_enc / n * 1e9, n * size * 8 / t_enc / 1e6, t_dec / n * 1e9,
	       n * size * 8 / t_dec / 1e6, fails ? "  FAILURES" : "");
	if (fails)
		fprintf(stderr, "xfcost: %s: %lu packets failed\n", shapes[i][0], fails);
	xf_scratch_free(s_out);
	xf_scratch_free(s_in);
	side_free(&out);
	side_free(&in);
}

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 0) : 1400;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 200;
	uint8_t *bufs = malloc((size_t)BATCH * PKT_BUF_SIZE), *inner = malloc(size);

	if (size < 28 || size > 60000 || !rounds || !bufs || !inner)
		die("usage: xfcost [SIZE (28..60000) [ROUNDS]]");
	inner_packet(inner, size);
	for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		run_shape(i, size, rounds, bufs, inner);
	free(bufs);
	free(inner);
	return 0;
}
