/* check_klips_rt.c: the runtime objects of the KLIPS commands
 * (klips_rt.h): KLIPS's grouping rules, all-or-nothing changes, the merge
 * into the model's config (checked through sadb_build()), save and load. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_test.h"
#include "klips_rt.h"
#include "sadb.h"

/*
 * Key text in released memory: free() and realloc() look for @watch in the
 * block they are given (glibc's own functions do the work).  A block that
 * still holds it when freed, or when realloc() may free it, is a key left
 * in the heap.  Not under AddressSanitizer, which owns the allocator.
 */
#if !defined(__SANITIZE_ADDRESS__)
#define WATCH_FREE 1
extern void __libc_free(void *p);
extern void *__libc_realloc(void *p, size_t n);
static const char *watch;
static int watch_seen;

static void look(void *p)
{
	if (p && watch && memmem(p, malloc_usable_size(p), watch, strlen(watch)))
		watch_seen++;
}

void free(void *p)
{
	look(p);
	__libc_free(p);
}

void *realloc(void *p, size_t n)
{
	look(p);
	return __libc_realloc(p, n);
}
#endif

#define K24 "0x" H16 H4 H4
#define WEST "192.1.2.45"
#define EAST "192.1.2.23"
#define ESP3 " --esp 3des-sha1-96 --enckey " K24 " --authkey " K20

/* West's KLIPS script: both directions of a tun+esp link, then the eroute. */
static const char *const west[] = {
	"spi --af inet --edst " EAST " --spi 0x1001 --proto tun --src " WEST " --dst " EAST " --ip4",
	"spi --af inet --edst " EAST " --spi 0x1001 --proto esp --src " WEST ESP3,
	"spi --af inet --edst " WEST " --spi 0x1002 --proto tun --src " EAST " --dst " WEST " --ip4",
	"spi --said esp.1002@" WEST " --src " EAST ESP3,
	"spigrp inet " EAST " 0x1001 tun inet " EAST " 0x1001 esp",
	"spigrp inet " WEST " 0x1002 tun inet " WEST " 0x1002 esp",
	"eroute --add --eraf inet --src 192.0.1.0/24 --dst 192.0.2.0/24 --said tun0x1001@" EAST,
};

/* Five outbound ESP SAs to EAST, in no group. */
static const char *const five_sas[] = {
	"spi --said esp.101@" EAST " --src " WEST ESP3,
	"spi --said esp.102@" EAST " --src " WEST ESP3,
	"spi --said esp.103@" EAST " --src " WEST ESP3,
	"spi --said esp.104@" EAST " --src " WEST ESP3,
	"spi --said esp.105@" EAST " --src " WEST ESP3,
};

static bool is_west(const struct ip_addr *a, void *arg)
{
	char t[IP_ADDR_BUF];

	(void)arg;
	ip_addr_format(a, t, sizeof(t));
	return !strcmp(t, WEST) || !strcmp(t, "10.9.9.9");
}

static char out[4096];

/* Run @line on @k, or on a copy of @k kept only on success (@on_copy, as
 * the daemon does).  The messages in out[].  Return: klips_rt_apply()'s,
 * or 100 for a line the parser refused. */
static int run_on(struct klips_rt *k, const struct cfg *file, const char *line, bool on_copy)
{
	char buf[1024], *argv[64], *save = NULL;
	struct klips_rt copy = { 0 };
	struct strbuf o = STRBUF_INIT;
	struct klips_req req;
	struct klips_msg msg;
	enum klips_cmd cmd;
	int argc = 0, r;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	cmd = !strcmp(argv[0], "spi") ? KLIPS_SPI : !strcmp(argv[0], "spigrp") ? KLIPS_SPIGRP
										 : KLIPS_EROUTE;
	if (klips_parse(cmd, argc, argv, NULL, NULL, &req, &msg) != 1) {
		snprintf(out, sizeof(out), "%s", msg.err);
		return 100;
	}
	if (on_copy)
		ck_assert_int_eq(klips_rt_copy(&copy, k), 0);
	r = klips_rt_apply(on_copy ? &copy : k, file, &req, &o);
	klips_req_wipe(&req);
	snprintf(out, sizeof(out), "%s", o.s ? o.s : "");
	strbuf_free(&o);
	if (on_copy && r == 0) {
		klips_rt_free(k);
		*k = copy;
	} else if (on_copy) {
		klips_rt_free(&copy);
	}
	return r;
}

static int run(struct klips_rt *k, const struct cfg *file, const char *line)
{
	return run_on(k, file, line, true);
}

static void run_all(struct klips_rt *k, const struct cfg *file, const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = run(k, file, l[i]);

		if (r)
			fprintf(stderr, "line %zu: %s", i, out);
		ck_assert_int_eq(r, 0);
	}
}

static struct cfg *empty_cfg(void)
{
	return parse_ok("[daemon]\nstate-dir = /var/lib/x\n");
}

/* The text of klips_rt_save(). */
static char *saved(const struct klips_rt *k)
{
	struct strbuf b = STRBUF_INIT;

	ck_assert_int_eq(klips_rt_save(k, &b), 0);
	return strbuf_take(&b, NULL);
}

START_TEST(test_west_link)
{
	struct cfg *file = empty_cfg(), *c;
	struct klips_rt k = { 0 };
	struct strbuf notes = STRBUF_INIT;
	struct cfg_errors e = { 0 };
	struct sadb *db;
	const struct sadb_group *og, *in;
	char t[IP_PREFIX_BUF];

	run_all(&k, file, west, sizeof(west) / sizeof(west[0]));
	ck_assert_uint_eq(k.nsa, 4);
	ck_assert_uint_eq(k.nlink, 2);
	ck_assert_uint_eq(k.ner, 1);
	c = klips_rt_merge(file, &k, is_west, NULL, &notes);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(notes.s);
	db = sadb_build(c, is_west, NULL, &e);
	if (!db)
		dump_errors(&e);
	ck_assert_ptr_nonnull(db);
	ck_assert_uint_eq(db->ngroup, 2);
	og = sadb_find_group(db, "tun.1001@" EAST);
	in = sadb_find_group(db, "tun.1002@" WEST);
	ck_assert_ptr_nonnull(og);
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(og->dir, SADB_DIR_OUT);
	ck_assert_int_eq(in->dir, SADB_DIR_IN);
	ck_assert_uint_eq(og->nsa, 2);
	ck_assert(og->sa[1]->tunnel_mode);
	ip_prefix_format(&og->src_ts[0], t, sizeof(t));
	ck_assert_str_eq(t, "192.0.1.0/24");
	/* the inbound group: the reverse of the eroute (the peer's view) */
	ck_assert_uint_eq(in->nsrc_ts, 1);
	ip_prefix_format(&in->src_ts[0], t, sizeof(t));
	ck_assert_str_eq(t, "192.0.2.0/24");
	ip_prefix_format(&in->dst_ts[0], t, sizeof(t));
	ck_assert_str_eq(t, "192.0.1.0/24");
	sadb_free(db);
	cfg_free(c);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

START_TEST(test_all_or_nothing)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 };
	char *before, *after;

	run_all(&k, file, west, 4);
	ck_assert_int_eq(run(&k, file, "spigrp --said tun.1002@" WEST " esp.1002@" WEST), 0);
	before = saved(&k);
	/* a 5th SA */
	ck_assert_int_eq(run(&k, file, "spigrp --said tun.1001@" EAST " esp.1001@" EAST " tun.1002@" WEST
				   " esp.1002@" WEST " esp.1003@" WEST), 100);
	ck_assert_ptr_nonnull(strstr(out, "at most 4 SAs in a group"));
	/* the missing one is named; nothing of the command stays */
	ck_assert_int_eq(run(&k, file, "spigrp --said tun.1001@" EAST " esp.1001@" EAST
				   " esp.1003@" EAST), -ENOENT);
	ck_assert_str_eq(out, "spigrp: SA esp.1003@" EAST " does not exist\n");
	/* the second link fails: the first is not kept either */
	ck_assert_int_eq(run(&k, file, "spigrp --said tun.1001@" EAST " esp.1001@" EAST " esp.1002@"
				   WEST), -EEXIST);
	ck_assert_ptr_nonnull(strstr(out, "esp.1002@" WEST " already follows tun.1002@" WEST));
	after = saved(&k);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

START_TEST(test_chain_rules)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 };

	run_all(&k, file, five_sas, 5);
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.102@" EAST " esp.103@" EAST), 0);
	/* prepend to a head, then join a second chain */
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.101@" EAST " esp.102@" EAST), 0);
	ck_assert_str_eq(out, "grouped esp.101@" EAST " esp.102@" EAST " esp.103@" EAST "\n");
	/* a successor already */
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.102@" EAST " esp.104@" EAST), -EEXIST);
	ck_assert_ptr_nonnull(strstr(out, "already followed by esp.103@"));
	/* a predecessor already */
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.104@" EAST " esp.102@" EAST), -EEXIST);
	/* a loop */
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.103@" EAST " esp.101@" EAST), -EEXIST);
	ck_assert_ptr_nonnull(strstr(out, "loop"));
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.104@" EAST " esp.105@" EAST), 0);
	/* 3 + 2 SAs joined: too long */
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.103@" EAST " esp.104@" EAST), -E2BIG);
	ck_assert_str_eq(out, "spigrp: at most 4 SAs in a group\n");
	ck_assert_uint_eq(k.nlink, 3);
	/* one SA: the whole chain dissolves, whichever member */
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.102@" EAST), 0);
	ck_assert_uint_eq(k.nlink, 1);
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.102@" EAST), 0);
	ck_assert_ptr_nonnull(strstr(out, "in no group"));
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

START_TEST(test_delete)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 };

	run_all(&k, file, west, sizeof(west) / sizeof(west[0]));
	/* an eroute must name the first SA of its group */
	ck_assert_int_eq(run(&k, file, "eroute --add --src 10.0.0.0/8 --dst 10.1.0.0/16 --said esp0x1001@"
				   EAST), -EINVAL);
	ck_assert_ptr_nonnull(strstr(out, "tun.1001@" EAST " is"));
	/* deleting any SA of the chain deletes the chain's SAs; its eroute
	 * blocks the traffic until it is deleted */
	ck_assert_int_eq(run(&k, file, "spi --said esp.1001@" EAST " --del"), 0);
	ck_assert_uint_eq(k.nsa, 2);
	ck_assert_uint_eq(k.ner, 1);
	ck_assert_ptr_nonnull(strstr(out, "eroute 192.0.1.0/24 -> 192.0.2.0/24 => %drop"));
	ck_assert_int_eq(run(&k, file, "eroute --del --src 192.0.1.0/24 --dst 192.0.2.0/24"), 0);
	ck_assert_uint_eq(k.nlink, 1);
	ck_assert_int_eq(run(&k, file, "spi --said tun.1001@" EAST " --del"), -ENOENT);
	ck_assert_str_eq(out, "spi: SA tun.1001@" EAST " does not exist\n");
	/* eroute --replace creates, --del matches src/dst only */
	ck_assert_int_eq(run(&k, file, "eroute --replace --src 10.0.0.0/8 --dst 10.1.0.0/16 --said %drop"),
			 0);
	ck_assert_int_eq(run(&k, file, "eroute --add --src 10.0.0.0/8 --dst 10.1.0.0/16 --said %pass"),
			 -EEXIST);
	ck_assert_int_eq(run(&k, file, "eroute --del --src 10.0.0.0/8 --dst 10.1.0.0/16"), 0);
	ck_assert_int_eq(run(&k, file, "eroute --del --src 10.0.0.0/8 --dst 10.1.0.0/16"), -ENOENT);
	ck_assert_int_eq(run(&k, file, "spi --clear"), 0);
	ck_assert_uint_eq(k.nsa + k.nlink + k.ner, 0);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

START_TEST(test_eroute_product)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 };

	run_all(&k, file, west, 2);
	ck_assert_int_eq(run(&k, file, "spigrp --said tun.1001@" EAST " esp.1001@" EAST), 0);
	ck_assert_int_eq(run(&k, file, "eroute --add --src 10.1.0.0/16 --dst 10.2.0.0/16 --said tun.1001@"
				   EAST), 0);
	ck_assert_int_eq(run(&k, file, "eroute --add --src 10.1.0.0/16 --dst 10.3.0.0/16 --said tun.1001@"
				   EAST), 0);
	/* 10.4 -> 10.2 alone would also give 10.4 -> 10.3 */
	ck_assert_int_eq(run(&k, file, "eroute --add --src 10.4.0.0/16 --dst 10.2.0.0/16 --said tun.1001@"
				   EAST), -EINVAL);
	ck_assert_int_eq(run(&k, file, "eroute --add --src 10.1.0.0/16 --dst 10.5.0.0/16 --said tun.1001@"
				   EAST " --transport-proto 6"), -EINVAL);
	ck_assert_uint_eq(k.ner, 2);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

START_TEST(test_config_sas)
{
	struct cfg *file = parse_ok("[sa esp.100@192.1.2.23]\nsrc = 192.1.2.45\nenc = 3des\nenckey = "
				    K24 "\n" AUTH_OK
				    "[sa esp.200@192.1.2.23]\nsrc = 192.1.2.45\nenc = 3des\nenckey = "
				    K24 "\n" AUTH_OK
				    "[group g]\nsaid = esp.200@192.1.2.23\nsrc-ts = 10.0.0.0/8\n"
				    "dst-ts = 10.1.0.0/16\n"), *c;
	struct klips_rt k = { 0 };
	struct strbuf notes = STRBUF_INIT;
	struct cfg_errors e = { 0 };
	struct sadb *db;

	run_all(&k, file, west, 2);
	/* a config SA in no [group] can be grouped; one in a [group] cannot */
	ck_assert_int_eq(run(&k, file, "spigrp --said tun.1001@" EAST " esp.100@" EAST), 0);
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.1001@" EAST " esp.200@" EAST), -EPERM);
	ck_assert_ptr_nonnull(strstr(out, "[group g]"));
	ck_assert_int_eq(run(&k, file, "spi --said esp.100@" EAST " --del"), -EPERM);
	ck_assert_int_eq(run(&k, file, "spi --said esp.100@" EAST " --src " WEST ESP3), -EEXIST);
	c = klips_rt_merge(file, &k, is_west, NULL, &notes);
	db = sadb_build(c, is_west, NULL, &e);
	if (!db)
		dump_errors(&e);
	ck_assert_ptr_nonnull(db);
	/* g, the runtime group tun.1001 + esp.100, esp.1001 alone: config first */
	ck_assert_uint_eq(db->ngroup, 3);
	ck_assert_str_eq(db->group[0]->name, "g");
	ck_assert_ptr_nonnull(sadb_find_group(db, "tun.1001@" EAST));
	ck_assert(sadb_find_group(db, "esp.1001@" EAST)->implicit);
	sadb_free(db);
	cfg_free(c);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

/* A config that now defines a runtime SAID, or groups a linked SA, wins. */
START_TEST(test_config_wins)
{
	struct cfg *file = empty_cfg(), *file2, *c;
	struct klips_rt k = { 0 };
	struct strbuf notes = STRBUF_INIT;

	run_all(&k, file, west, 5);
	file2 = parse_ok("[sa esp.1001@192.1.2.23]\nsrc = 192.1.2.45\nenc = 3des\nenckey = " K24 "\n"
			 AUTH_OK "[group g]\nsaid = esp.1001@192.1.2.23\nsrc-ts = 10.0.0.0/8\n"
			 "dst-ts = 10.1.0.0/16\n");
	c = klips_rt_merge(file2, &k, is_west, NULL, &notes);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(notes.s);
	ck_assert_ptr_nonnull(strstr(notes.s, "runtime SA esp.1001@" EAST ": the config defines it"));
	ck_assert_ptr_nonnull(strstr(notes.s, "its link is left out"));
	ck_assert_uint_eq(c->nsa, 4);
	ck_assert_uint_eq(c->ngroup, 1);
	strbuf_free(&notes);
	cfg_free(c);
	cfg_free(file2);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

/* A grouping that cannot be made again never leaves its eroute on what
 * is left (a bare tun: IP-in-IP in clear): the eroute turns %drop, in the
 * merge (a link left out) and in the load (a line that fails). */
START_TEST(test_broken_chain_drops)
{
	struct cfg *file = empty_cfg(), *file2, *c;
	struct klips_rt k = { 0 }, k2 = { 0 };
	struct strbuf notes = STRBUF_INIT;
	char *text, *key;

	run_all(&k, file, west, sizeof(west) / sizeof(west[0]));
	/* the merge: the config now groups esp.1001 itself */
	file2 = parse_ok("[sa esp.1001@192.1.2.23]\nsrc = 192.1.2.45\nenc = 3des\nenckey = " K24 "\n"
			 AUTH_OK "[group g]\nsaid = esp.1001@192.1.2.23\nsrc-ts = 10.0.0.0/8\n"
			 "dst-ts = 10.1.0.0/16\n");
	c = klips_rt_merge(file2, &k, is_west, NULL, &notes);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(strstr(notes.s, "%drop instead"));
	for (size_t i = 0; i < c->ngroup; i++) {
		const struct cfg_group *g = &c->group[i];

		if (!strcmp(g->name, "tun.1001@" EAST))
			ck_assert_uint_eq(g->nsrc_ts, 0); /* no policy on the bare tun */
		if (!strncmp(g->name, "eroute:", 7))
			ck_assert(said_is_magic(&g->said[0]));
	}
	cfg_free(c);
	strbuf_free(&notes);
	/* the load: esp.1001's line is damaged (a short key) */
	text = saved(&k);
	key = strstr(strstr(text, "spi --said esp.1001@"), "--enckey 0x") + 11;
	memmove(key + 4, key + 48, strlen(key + 48) + 1);
	ck_assert_int_gt(klips_rt_load(&k2, file, text, &notes), 0);
	ck_assert_uint_eq(k2.ner, 1);
	ck_assert(said_is_magic(&k2.er[0].said));
	ck_assert_ptr_nonnull(strstr(notes.s, "eroute => %drop"));
	/* a damaged key is never echoed in a note */
	free(text);
	text = saved(&k);
	key = strstr(text, "--enckey 0x");
	key[8] = 'X'; /* "--enckeyX0x...": one unknown option word */
	memmove(key + 8, key + 9, strlen(key + 9) + 1);
	klips_rt_free(&k2);
	strbuf_free(&notes);
	klips_rt_load(&k2, file, text, &notes);
	ck_assert_ptr_null(strstr(notes.s, "0123456789abcdef"));
	ck_assert_ptr_nonnull(strstr(notes.s, "not shown: it holds a key"));
	free(text);
	strbuf_free(&notes);
	klips_rt_free(&k2);
	klips_rt_free(&k);
	cfg_free(file2);
	cfg_free(file);
}
END_TEST

START_TEST(test_save_load)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 }, k2 = { 0 };
	struct strbuf notes = STRBUF_INIT;
	char *a, *b;

	run_all(&k, file, west, sizeof(west) / sizeof(west[0]));
	ck_assert_int_eq(run(&k, file, "spi --said comp.5678@" EAST " --src " WEST " --comp deflate"), 0);
	ck_assert_int_eq(run(&k, file, "spi --said ah.777@" EAST " --src " WEST " --ah hmac-sha1-96"
				   " --authkey " K20 " --replay_window 0 --life soft-bytes=100,hard-bytes=200"),
			 0);
	ck_assert_int_eq(run(&k, file, "eroute --add --src [2001:db8::/32]:80 --dst 2001:db9::/32"
				   " --transport-proto tcp --said %pass"), 0);
	a = saved(&k);
	ck_assert_ptr_nonnull(strstr(a, "--enckey " K24));
	ck_assert_int_eq(klips_rt_load(&k2, file, a, &notes), 0);
	ck_assert_ptr_null(notes.s);
	b = saved(&k2);
	ck_assert_str_eq(a, b);
	ck_assert(!k2.sa[5].esn);
	ck_assert_uint_eq(k2.sa[5].life.hard_bytes, 200);
	free(b);
	/* a line that no longer applies is left out, the others kept */
	klips_rt_free(&k2);
	ck_assert_int_eq(klips_rt_load(&k2, file, "# c\nspi --said esp.9@" EAST " --del\n"
				       "spigrp --said tun.1@" EAST "\n\nbogus\n", &notes), 3);
	ck_assert_ptr_nonnull(strstr(notes.s, "runtime:2: SA esp.9@" EAST " does not exist"));
	ck_assert_ptr_nonnull(strstr(notes.s, "runtime:5: not a command"));
	free(a);
	strbuf_free(&notes);
	klips_rt_free(&k2);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

/* sadb's checks of a runtime group name it as such. */
START_TEST(test_sadb_errors)
{
	struct cfg *file = empty_cfg(), *c;
	struct klips_rt k = { 0 };
	struct strbuf notes = STRBUF_INIT;
	struct cfg_errors e = { 0 };

	run_all(&k, file, west, 4);
	/* an outbound and an inbound SA in one group */
	ck_assert_int_eq(run(&k, file, "spigrp --said esp.1001@" EAST " esp.1002@" WEST), 0);
	c = klips_rt_merge(file, &k, is_west, NULL, &notes);
	ck_assert_ptr_null(sadb_build(c, is_west, NULL, &e));
	ck_assert_uint_ge(e.n, 1);
	ck_assert_ptr_nonnull(strstr(e.msg[0], "runtime objects: group esp.1001@"));
	cfg_errors_free(&e);
	cfg_free(c);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

/* klips_rt_apply() itself changes nothing when it fails (found by
 * fuzz_klips_rt: a refused join left its links, so klips_rt_load() kept a
 * chain of 5 SAs; a refused eroute --replace lost the eroute it replaced). */
START_TEST(test_failed_apply_changes_nothing)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 };
	static const char *const sas[] = {
		"spigrp --said esp.101@" EAST " esp.102@" EAST " esp.103@" EAST,
		"spigrp --said esp.104@" EAST " esp.105@" EAST,
		"eroute --add --src 10.1.0.0/16 --dst 10.2.0.0/16 --said esp.101@" EAST,
	};
	char *before, *after;

	run_all(&k, file, five_sas, 5);
	run_all(&k, file, sas, sizeof(sas) / sizeof(sas[0]));
	before = saved(&k);
	/* 3 + 2 SAs: both links made, then too long */
	ck_assert_int_eq(run_on(&k, file, "spigrp --said esp.103@" EAST " esp.104@" EAST, false),
			 -E2BIG);
	/* the first link made, the second refused */
	ck_assert_int_eq(run_on(&k, file, "spigrp --said esp.105@" EAST " esp.101@" EAST " esp.102@"
				      EAST, false), -EEXIST);
	/* the replaced eroute is out while the new one is checked */
	ck_assert_int_eq(run_on(&k, file, "eroute --replace --src 10.1.0.0/16 --dst 10.2.0.0/16 "
				      "--said esp.102@" EAST, false), -EINVAL);
	ck_assert_int_eq(run_on(&k, file, "eroute --replace --src 10.1.0.0/16 --dst 10.2.0.0/16 "
				      "--said esp.999@" EAST, false), -ENOENT);
	after = saved(&k);
	ck_assert_str_eq(before, after);
	free(after);
	/* a replace that passes its checks does replace */
	ck_assert_int_eq(run_on(&k, file, "eroute --replace --src 10.1.0.0/16 --dst 10.2.0.0/16 "
				      "--said esp.104@" EAST, false), 0);
	ck_assert_uint_eq(k.ner, 1);
	free(before);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

/* A runtime file's line that fails half way is left out whole. */
START_TEST(test_load_line_all_or_nothing)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 };
	struct strbuf notes = STRBUF_INIT, text = STRBUF_INIT;

	for (int i = 1; i <= 5; i++)
		strbuf_printf(&text, "spi --said esp.10%d@" EAST " --src " WEST ESP3 "\n", i);
	strbuf_puts(&text, "spigrp --said esp.101@" EAST " esp.102@" EAST " esp.103@" EAST "\n"
			   "spigrp --said esp.104@" EAST " esp.105@" EAST "\n"
			   "spigrp --said esp.103@" EAST " esp.104@" EAST "\n");
	ck_assert_int_eq(klips_rt_load(&k, file, text.s, &notes), 1);
	ck_assert_ptr_nonnull(strstr(notes.s, "runtime:8: at most 4 SAs in a group"));
	ck_assert_uint_eq(k.nlink, 3);
	strbuf_free(&notes);
	strbuf_free(&text);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

/* Copies of overlays without links or eroutes (UBSan: no memcpy() from
 * NULL, found by fuzz_klips_rt). */
START_TEST(test_copy_empty_parts)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 }, c = { 0 };

	ck_assert_int_eq(klips_rt_copy(&c, &k), 0);
	ck_assert_uint_eq(c.nsa + c.nlink + c.ner, 0);
	run_all(&k, file, west, 1);
	ck_assert_int_eq(klips_rt_copy(&c, &k), 0);
	ck_assert_uint_eq(c.nsa, 1);
	ck_assert_uint_eq(c.nlink + c.ner, 0);
	klips_rt_free(&c);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

/* The indexes follow removals (positions move): every object is found where
 * it is, the gone ones are not; spi --clear takes chains, runtime SAs and
 * their eroutes in one pass and leaves shunts. */
START_TEST(test_lookups_after_removals)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 };
	struct said s;

	run_all(&k, file, west, sizeof(west) / sizeof(west[0]));
	ck_assert_int_eq(run(&k, file, "eroute --add --src 10.0.0.0/8 --dst 10.1.0.0/16 --said %drop"),
			 0);
	ck_assert_int_eq(run(&k, file, "eroute --add --src 10.2.0.0/16 --dst 10.3.0.0/16 --said esp.1002@"
				   WEST), -EINVAL); /* not first in its group */
	/* the first SA's chain goes: the others move down */
	ck_assert_int_eq(run_on(&k, file, "spi --said tun.1001@" EAST " --del", false), 0);
	ck_assert_uint_eq(k.nsa, 2);
	for (size_t i = 0; i < k.nsa; i++)
		ck_assert_ptr_eq(klips_rt_find_sa(&k, &k.sa[i].said), &k.sa[i]);
	ck_assert_int_eq(said_parse("esp.1001@" EAST, &s, NULL, 0), 0);
	ck_assert_ptr_null(klips_rt_find_sa(&k, &s));
	/* the chain's eroute is %drop now; the shunt is found by its key */
	ck_assert_uint_eq(k.ner, 2);
	ck_assert(said_is_magic(&k.er[0].said) && said_is_magic(&k.er[1].said));
	ck_assert_int_eq(run_on(&k, file, "eroute --add --src 10.0.0.0/8 --dst 10.1.0.0/16 --said %pass",
				false), -EEXIST);
	/* the remaining chain: found from both ends after the first went */
	ck_assert_int_eq(run_on(&k, file, "spigrp --said esp.1002@" WEST " tun.1002@" WEST, false),
			 -EEXIST);
	ck_assert_int_eq(run_on(&k, file, "spigrp --said tun.1002@" WEST, false), 0);
	ck_assert_ptr_nonnull(strstr(out, "ungrouped tun.1002@" WEST));
	ck_assert_int_eq(run_on(&k, file, "spigrp --said esp.1002@" WEST " tun.1002@" WEST, false), 0);
	ck_assert_int_eq(run_on(&k, file, "eroute --add --src 10.2.0.0/16 --dst 10.3.0.0/16 --said "
				"esp.1002@" WEST, false), 0);
	ck_assert_int_eq(run_on(&k, file, "spi --clear", false), 0);
	ck_assert_str_eq(out, "eroute 10.2.0.0/16 -> 10.3.0.0/16 => %drop (its group is gone; "
			      "eroute --del or --replace it)\n"
			      "ungrouped esp.1002@" WEST "\n"
			      "deleted SA tun.1002@" WEST "\n"
			      "deleted SA esp.1002@" WEST "\n");
	ck_assert_uint_eq(k.nsa + k.nlink, 0);
	ck_assert_uint_eq(k.ner, 3);
	/* all gone from the indexes too: made again */
	ck_assert_int_eq(run_on(&k, file, "eroute --clear", false), 0);
	run_all(&k, file, west, sizeof(west) / sizeof(west[0]));
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

/* The runtime file's text and an spi's [sa] text hold keys: grown and
 * freed, they leave none in the heap (secret strbufs). */
START_TEST(test_keys_wiped)
{
#ifdef WATCH_FREE
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 };
	struct strbuf b = STRBUF_INIT;
	char line[512];

	for (int i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), "spi --said esp.%d@" EAST " --src " WEST
			 " --esp 3des-md5-96 --enckey 0xfedcba9876543210fedcba9876543210fedcba9876543210"
			 " --authkey 0x00112233445566778899aabbccddeeff", 0x200 + i);
		watch = "00112233445566778899aabbccddeeff";
		ck_assert_int_eq(run(&k, file, line), 0);
	}
	watch = "fedcba9876543210fedcba9876543210fedcba9876543210";
	ck_assert_int_eq(klips_rt_save(&k, &b), 0);
	ck_assert_ptr_nonnull(strstr(b.s, watch));
	strbuf_free(&b);
	watch = NULL;
	ck_assert_int_eq(watch_seen, 0);
	klips_rt_free(&k);
	cfg_free(file);
#endif
}
END_TEST

/* A runtime file's junk: at most 100 notes and a count (a 4 MiB file of
 * "x" lines made 116 MB of notes, each a log line); a line of too many
 * words is left out, not cut short. */
START_TEST(test_load_bounds)
{
	struct cfg *file = empty_cfg();
	struct klips_rt k = { 0 };
	struct strbuf notes = STRBUF_INIT, text = STRBUF_INIT;
	size_t lines = 0;

	for (int i = 0; i < 5000; i++)
		strbuf_puts(&text, "x\n");
	ck_assert_int_eq(klips_rt_load(&k, file, text.s, &notes), 5000);
	for (const char *p = notes.s; (p = strchr(p, '\n')); p++)
		lines++;
	ck_assert_uint_eq(lines, 101);
	ck_assert_ptr_nonnull(strstr(notes.s, "runtime:100: not a command"));
	ck_assert_ptr_nonnull(strstr(notes.s, "runtime: 4900 more line(s) left out\n"));
	strbuf_free(&notes);
	strbuf_free(&text);
	/* 49 words: the 49th would have been dropped, the rest applied */
	strbuf_puts(&text, "spi --said tun.1001@" EAST " --src " WEST " --ip4 --dst " EAST);
	for (int i = 0; i < 20; i++)
		strbuf_puts(&text, " --src " WEST);
	strbuf_puts(&text, " --bogus\nspi\n");
	ck_assert_int_eq(klips_rt_load(&k, file, text.s, &notes), 2);
	ck_assert_ptr_nonnull(strstr(notes.s, "runtime:1: more than 48 words\n"));
	ck_assert_ptr_nonnull(strstr(notes.s, "runtime:2: nothing to change\n"));
	ck_assert_uint_eq(k.nsa, 0);
	strbuf_free(&notes);
	strbuf_free(&text);
	klips_rt_free(&k);
	cfg_free(file);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("klips_rt");
	TCase *tc = tcase_create("rt");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_west_link);
	tcase_add_test(tc, test_all_or_nothing);
	tcase_add_test(tc, test_chain_rules);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_eroute_product);
	tcase_add_test(tc, test_config_sas);
	tcase_add_test(tc, test_config_wins);
	tcase_add_test(tc, test_save_load);
	tcase_add_test(tc, test_sadb_errors);
	tcase_add_test(tc, test_failed_apply_changes_nothing);
	tcase_add_test(tc, test_load_line_all_or_nothing);
	tcase_add_test(tc, test_copy_empty_parts);
	tcase_add_test(tc, test_lookups_after_removals);
	tcase_add_test(tc, test_keys_wiped);
	tcase_add_test(tc, test_load_bounds);
	tcase_add_test(tc, test_broken_chain_drops);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
