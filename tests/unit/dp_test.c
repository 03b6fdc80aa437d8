/* dp_test.c: captures, buffers and groups for the datapath's unit tests. */
#include "dp_test.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg.h"
#include "ipx.h"

static const char *srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s && *s ? s : ".";
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct cap_pkt *cap_read(const char *name, size_t *n)
{
	char path[4096];
	struct cap_pkt *c = NULL;
	uint8_t hdr[24], rec[16];
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/dp/%s", srcdir(), name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	ck_assert_msg(le32(hdr) == 0xa1b2c3d4 && le32(hdr + 20) == 1,
		      "%s: not a little-endian classic pcap of Ethernet", path);
	*n = 0;
	while (fread(rec, 1, sizeof(rec), f) == sizeof(rec)) {
		size_t incl = le32(rec + 8);
		uint8_t *frame = malloc(incl ? incl : 1);
		uint16_t et;

		ck_assert_ptr_nonnull(frame);
		ck_assert_int_eq(fread(frame, 1, incl, f), incl);
		et = incl >= 14 ? (uint16_t)(frame[12] << 8 | frame[13]) : 0;
		if (et != 0x0800 && et != 0x86dd) {
			free(frame);
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			c = realloc(c, cap * sizeof(*c));
			ck_assert_ptr_nonnull(c);
		}
		memmove(frame, frame + 14, incl - 14);
		c[*n].ip = frame;
		c[*n].len = incl - 14;
		(*n)++;
	}
	fclose(f);
	return c;
}

void cap_free(struct cap_pkt *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].ip);
	free(c);
}

size_t cap_select(const struct cap_pkt *c, size_t n, uint8_t proto, const char *src,
		  const char *dst, const struct cap_pkt **out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < max; i++) {
		struct ipx x;
		struct ip_addr a;

		if (ipx_parse(c[i].ip, c[i].len, IPX_IN, &x) < 0 || x.nh != proto)
			continue;
		if (src) {
			a = addr(src);
			if (a.family != x.family ||
			    memcmp(a.b, ipx_src(c[i].ip, x.family), ip_addr_len(&a)))
				continue;
		}
		if (dst) {
			a = addr(dst);
			if (a.family != x.family ||
			    memcmp(a.b, ipx_dst(c[i].ip, x.family), ip_addr_len(&a)))
				continue;
		}
		out[k++] = &c[i];
	}
	return k;
}

void pkt_buf(struct pkt *p, const uint8_t *data, size_t len)
{
	uint8_t *b = malloc(PKT_BUF_SIZE);

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_le(len, PKT_MAX_IP);
	pkt_init(p, b, PKT_BUF_SIZE);
	memcpy(pkt_put(p, len), data, len);
}

void pkt_buf_free(struct pkt *p)
{
	free(p->base);
	p->base = NULL;
}

struct ip_addr addr(const char *text)
{
	struct ip_addr a;

	ck_assert_int_eq(ip_addr_parse(text, &a, NULL, 0), 0);
	return a;
}

static bool is_local(const struct ip_addr *a, void *arg)
{
	for (const char *const *l = arg; *l; l++) {
		struct ip_addr x = addr(*l);

		if (ip_addr_equal(&x, a))
			return true;
	}
	return false;
}

struct sadb *seed_sadb(const char *path, const char *const *locals, struct cfg **cfg_out)
{
	struct cfg_errors errs = { 0 };
	struct cfg_parser *p = cfg_parser_new(path, &errs);
	char full[4096], line[4096];
	struct sadb *db;
	struct cfg *c;
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", srcdir(), path ? path : "contrib/seed.conf");
	f = fopen(full, "r");
	ck_assert_msg(f != NULL, "cannot open %s", full);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		cfg_parser_line(p, line);
	}
	fclose(f);
	c = cfg_parser_finish(p);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(c);
	db = sadb_build(c, is_local, (void *)locals, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	ck_assert_ptr_nonnull(db);
	cfg_errors_free(&errs);
	*cfg_out = c;
	return db;
}

char *cap_text(const char *name, const char *key)
{
	char path[4096], *line = NULL, *val = NULL;
	size_t cap = 0, klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir(), name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s (tests/tools/record-esp.sh)", path);
	while (!val && getline(&line, &cap, f) > 0) {
		if (line[0] == '#' || strncmp(line, key, klen) || line[klen] != ' ')
			continue;
		line[strcspn(line, "\n")] = '\0';
		val = strdup(line + klen + 1);
		ck_assert_ptr_nonnull(val);
	}
	free(line);
	fclose(f);
	return val;
}

uint8_t *unhex(const char *hex, size_t *n)
{
	size_t len = strlen(hex) / 2;
	uint8_t *b = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	*n = len;
	return b;
}

int dp_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
