/* fuzz_klips_rt.c: libFuzzer harness for the runtime objects of the KLIPS
 * commands (klips_rt.h): the runtime file's reader and writer, the changes
 * spi / spigrp / eroute ask for, the merge into the model's config.
 *
 * Input: byte 0 chooses one of three fixed configs (byte % 3: IPv4 SAs, one
 * of them in a [group]; the same in IPv6; no SA at all) and the mode
 * ((byte / 3) % 2); the rest is text.
 * - Mode 0: the text is a runtime file, klips_rt_load()ed against the config.
 * - Mode 1: each line of the text is a request ("spi ...", "spigrp ...",
 *   "eroute ..."), klips_parse()d and klips_rt_apply()ed to a copy, kept on
 *   success as the daemon does.  After a success the invariants below must
 *   hold; after a failure the original must save as before and the copy,
 *   left as it was (klips_rt_apply() changes nothing when it fails), too.
 * Then, in both modes, on the result:
 * - the invariants of the model klips_rt.h states: no SAID twice nor one
 *   the config defines; every linked SA exists, is in no [group] of the
 *   config, has at most one successor and one predecessor; no cycle; no
 *   chain longer than CFG_MAX_GROUP_SAS; every eroute names a shunt or an
 *   existing SA free of [group]s that starts its chain, no two eroutes share
 *   source and destination, the eroutes of one SA are its sources x its
 *   destinations with one protocol and port pair;
 * - klips_rt_save() succeeds, its text loads again without a line left out
 *   and saves to the same text;
 * - klips_rt_merge() (a fixed set of local addresses) returns a config that
 *   leaves nothing out, sadb_build() on it returns a model or errors, and
 *   the reloaded objects give the same (sadb_group_equal(), names, order).
 * Any failed check is an abort(), which libFuzzer reports with the input.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "klips_args.h"
#include "klips_rt.h"
#include "klips_rt_priv.h" /* krt_succ(), krt_pred() */
#include "sadb.h"
#include "said.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define K24 "0x0123456789abcdef0123456789abcdef0123456789abcdef"
#define K20 "0x0123456789abcdef0123456789abcdef01234567"
#define SA_KEYS "enc = 3des\nenckey = " K24 "\nauth = sha1\nauthkey = " K20 "\n"

/* Each: two outbound ESP SAs (the second in [group g]), an inbound ESP SA,
 * an outbound tun SA; addresses of the local set below. */
static const char *const conf_text[] = {
	"[daemon]\nstate-dir = /var/lib/spigrpd\n"
	"[sa esp.100@192.1.2.23]\nsrc = 192.1.2.45\n" SA_KEYS
	"[sa esp.200@192.1.2.23]\nsrc = 192.1.2.45\n" SA_KEYS
	"[sa esp.300@192.1.2.45]\nsrc = 192.1.2.23\n" SA_KEYS
	"[sa tun.400@192.1.2.23]\nsrc = 192.1.2.45\n"
	"[group g]\nsaid = esp.200@192.1.2.23\nsrc-ts = 10.0.0.0/8\ndst-ts = 10.1.0.0/16\n",

	"[daemon]\nstate-dir = /var/lib/spigrpd\n"
	"[sa esp:100@2001:db8::23]\nsrc = 2001:db8::45\n" SA_KEYS
	"[sa esp:200@2001:db8::23]\nsrc = 2001:db8::45\n" SA_KEYS
	"[sa esp:300@2001:db8::45]\nsrc = 2001:db8::23\n" SA_KEYS
	"[sa tun:400@2001:db8::23]\nsrc = 2001:db8::45\n"
	"[group g]\nsaid = esp:200@2001:db8::23\nsrc-ts = 2001:db8:1::/48\n"
	"dst-ts = 2001:db8:2::/48\n",

	"[daemon]\nstate-dir = /var/lib/spigrpd\n",
};
#define NCONF (sizeof(conf_text) / sizeof(conf_text[0]))
static struct cfg *conf[NCONF];

static const char *const local_text[] = { "192.1.2.45", "2001:db8::45", "10.9.9.9", "::1" };
#define NLOCAL (sizeof(local_text) / sizeof(local_text[0]))
static struct ip_addr local_addr[NLOCAL];

static bool fixed_is_local(const struct ip_addr *a, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < NLOCAL; i++)
		if (ip_addr_equal(&local_addr[i], a))
			return true;
	return false;
}

static struct cfg *parse_conf(const char *text)
{
	struct cfg_errors errs = { 0 };
	struct cfg_parser *p = cfg_parser_new("fuzz.conf", &errs);
	char *copy = strdup(text), *save = NULL;
	struct cfg *c;

	if (!p || !copy)
		abort();
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		cfg_parser_line(p, l);
	c = cfg_parser_finish(p);
	if (!c || errs.n) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "fuzz_klips_rt: config: %s\n", errs.msg[i]);
		abort();
	}
	cfg_errors_free(&errs);
	free(copy);
	return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < NLOCAL; i++)
		if (ip_addr_parse(local_text[i], &local_addr[i], NULL, 0) < 0)
			abort();
	for (size_t i = 0; i < NCONF; i++)
		conf[i] = parse_conf(conf_text[i]);
	return 0;
}

static void __attribute__((noreturn)) fail(const char *what, const struct said *s, const char *text)
{
	char b[SAID_BUF] = "";

	if (s)
		said_format(s, '0', b, sizeof(b));
	fprintf(stderr, "fuzz_klips_rt: %s %s\n", what, b);
	if (text)
		fprintf(stderr, "---- saved\n%s", text);
	abort();
}

/* ---- the invariants ---- */

static bool in_file_group(const struct cfg *file, const struct said *s)
{
	for (size_t i = 0; i < file->ngroup; i++)
		for (unsigned j = 0; j < file->group[i].nsaid; j++)
			if (said_equal(&file->group[i].said[j], s))
				return true;
	return false;
}

static long link_from(const struct klips_rt *k, const struct said *s)
{
	long at = -1;

	for (size_t i = 0; i < k->nlink; i++) {
		if (!said_equal(&k->link[i].from, s))
			continue;
		if (at >= 0)
			fail("two successors:", s, NULL);
		at = (long)i;
	}
	return at;
}

static long link_to(const struct klips_rt *k, const struct said *s)
{
	long at = -1;

	for (size_t i = 0; i < k->nlink; i++) {
		if (!said_equal(&k->link[i].to, s))
			continue;
		if (at >= 0)
			fail("two predecessors:", s, NULL);
		at = (long)i;
	}
	return at;
}

/* An SA a link or an eroute may name: runtime or of the config, in no
 * [group] of the config. */
static void check_usable(const struct klips_rt *k, const struct cfg *file, const struct said *s)
{
	if (!klips_rt_find_sa(k, s) && !cfg_find_sa(file, s))
		fail("names an SA that does not exist:", s, NULL);
	if (in_file_group(file, s))
		fail("names an SA of a [group]:", s, NULL);
}

static void check_chains(const struct klips_rt *k, const struct cfg *file)
{
	for (size_t i = 0; i < k->nlink; i++) {
		const struct said *from = &k->link[i].from;
		unsigned n = 1;
		long l;

		check_usable(k, file, from);
		check_usable(k, file, &k->link[i].to);
		if (said_equal(from, &k->link[i].to))
			fail("linked to itself:", from, NULL);
		/* the linear scans and the index agree */
		if (link_from(k, from) != (long)i || krt_succ(k, from) != (long)i)
			fail("the link index lost the link from", from, NULL);
		if (link_to(k, &k->link[i].to) != (long)i || krt_pred(k, &k->link[i].to) != (long)i)
			fail("the link index lost the link to", &k->link[i].to, NULL);
		if (link_to(k, from) >= 0)
			continue; /* not a chain's first SA */
		for (struct said s = *from; (l = link_from(k, &s)) >= 0; s = k->link[l].to)
			if (++n > CFG_MAX_GROUP_SAS)
				fail("a chain longer than CFG_MAX_GROUP_SAS from", from, NULL);
	}
	/* no cycle: from every linked SA, the predecessors end */
	for (size_t i = 0; i < k->nlink; i++) {
		struct said s = k->link[i].from;
		size_t steps = 0;
		long l;

		while ((l = link_to(k, &s)) >= 0) {
			s = k->link[l].from;
			if (++steps > k->nlink)
				fail("a cycle through", &k->link[i].from, NULL);
		}
	}
}

static bool prefix_eq(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->len == b->len && ip_addr_equal(&a->addr, &b->addr);
}

/* How many different sources (@src) or destinations of @s's eroutes. */
static size_t distinct(const struct klips_rt *k, const struct said *s, bool src)
{
	size_t n = 0;

	for (size_t i = 0; i < k->ner; i++) {
		const struct klips_eroute *e = &k->er[i];
		bool seen = false;

		if (!said_equal(&e->said, s))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = said_equal(&k->er[j].said, s) &&
			       prefix_eq(src ? &k->er[j].src : &k->er[j].dst, src ? &e->src : &e->dst);
		n += !seen;
	}
	return n;
}

static void check_eroutes(const struct klips_rt *k, const struct cfg *file)
{
	for (size_t i = 0; i < k->ner; i++) {
		const struct klips_eroute *e = &k->er[i];
		size_t n = 0;

		for (size_t j = 0; j < i; j++)
			if (prefix_eq(&k->er[j].src, &e->src) && prefix_eq(&k->er[j].dst, &e->dst))
				fail("two eroutes of one source and destination, to", &e->said, NULL);
		if (said_is_magic(&e->said))
			continue;
		check_usable(k, file, &e->said);
		if (link_to(k, &e->said) >= 0)
			fail("an eroute to an SA that is not first in its group:", &e->said, NULL);
		for (size_t j = 0; j < k->ner; j++) {
			if (!said_equal(&k->er[j].said, &e->said))
				continue;
			n++;
			if (k->er[j].tproto != e->tproto || k->er[j].sport != e->sport ||
			    k->er[j].dport != e->dport)
				fail("eroutes of one SA with different protocols or ports:", &e->said, NULL);
		}
		if (distinct(k, &e->said, true) * distinct(k, &e->said, false) != n)
			fail("the eroutes of an SA are not a product:", &e->said, NULL);
		if (distinct(k, &e->said, true) > CFG_MAX_TS || distinct(k, &e->said, false) > CFG_MAX_TS)
			fail("more than CFG_MAX_TS sources or destinations:", &e->said, NULL);
	}
}

static void check_invariants(const struct klips_rt *k, const struct cfg *file)
{
	for (size_t i = 0; i < k->nsa; i++) {
		if (cfg_find_sa(file, &k->sa[i].said))
			fail("a runtime SA the config defines:", &k->sa[i].said, NULL);
		if (klips_rt_find_sa(k, &k->sa[i].said) != &k->sa[i])
			fail("a runtime SAID twice:", &k->sa[i].said, NULL);
	}
	check_chains(k, file);
	check_eroutes(k, file);
}

/* ---- save, load, merge ---- */

static char *saved(const struct klips_rt *k)
{
	struct strbuf b = STRBUF_INIT;
	char *s;

	if (klips_rt_save(k, &b) < 0)
		fail("klips_rt_save() failed", NULL, b.s);
	s = strbuf_take(&b, NULL);
	if (!s)
		abort();
	return s;
}

/* The model of @k over @file (NULL when sadb_build() refuses it); its
 * config in *@cp (the model points into it). */
static struct sadb *model(const struct klips_rt *k, const struct cfg *file, struct cfg **cp)
{
	struct strbuf notes = STRBUF_INIT;
	struct cfg_errors errs = { 0 };
	struct cfg *c = klips_rt_merge(file, k, fixed_is_local, NULL, &notes);
	struct sadb *db;

	if (!c)
		fail("klips_rt_merge() failed", NULL, NULL);
	/* against the config it was made for, the merge leaves nothing out */
	if (notes.s) {
		fprintf(stderr, "%s", notes.s);
		fail("klips_rt_merge() left objects out", NULL, NULL);
	}
	db = sadb_build(c, fixed_is_local, NULL, &errs);
	if (!db && !errs.n)
		fail("sadb_build() refused without an error", NULL, NULL);
	cfg_errors_free(&errs);
	strbuf_free(&notes);
	*cp = c;
	return db;
}

/* save(load(save(k))) == save(k), nothing left out, and the reloaded
 * objects make the same model (what a restart would build). */
static void check_round_trip(const struct klips_rt *k, const struct cfg *file)
{
	struct klips_rt k2 = { 0 };
	struct strbuf notes = STRBUF_INIT;
	char *a = saved(k), *b;
	int r = klips_rt_load(&k2, file, a, &notes);
	struct sadb *m1, *m2;
	struct cfg *c1, *c2;

	if (r != 0) {
		fprintf(stderr, "%s", notes.s ? notes.s : "");
		fail("a saved text does not load whole", NULL, a);
	}
	b = saved(&k2);
	if (strcmp(a, b)) {
		fprintf(stderr, "---- saved again\n%s", b);
		fail("save(load(save(x))) != save(x)", NULL, a);
	}
	m1 = model(k, file, &c1);
	m2 = model(&k2, file, &c2);
	if (!m1 != !m2 || (m1 && m1->ngroup != m2->ngroup))
		fail("the reloaded objects make another model, or none", NULL, a);
	for (size_t i = 0; m1 && i < m1->ngroup; i++) {
		if (strcmp(m1->group[i]->name, m2->group[i]->name) ||
		    !sadb_group_equal(m1->group[i], m2->group[i])) {
			fprintf(stderr, "group %zu: %s\n", i, m1->group[i]->name);
			fail("the reloaded objects make another model", NULL, a);
		}
	}
	sadb_free(m1);
	sadb_free(m2);
	cfg_free(c1);
	cfg_free(c2);
	free(a);
	free(b);
	strbuf_free(&notes);
	klips_rt_free(&k2);
}

/* ---- requests ---- */

#define MAX_WORDS 64

/* One request line on a copy of @k, kept on success. */
static void apply_line(struct klips_rt *k, const struct cfg *file, char *line)
{
	char *argv[MAX_WORDS + 1], *save = NULL, *before, *after;
	struct klips_rt copy = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct klips_req req;
	struct klips_msg msg;
	enum klips_cmd cmd;
	int argc = 0, r;

	for (char *w = strtok_r(line, " \t", &save); w && argc < MAX_WORDS;
	     w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (!argc)
		return;
	if (!strcmp(argv[0], "spi"))
		cmd = KLIPS_SPI;
	else if (!strcmp(argv[0], "spigrp"))
		cmd = KLIPS_SPIGRP;
	else if (!strcmp(argv[0], "eroute"))
		cmd = KLIPS_EROUTE;
	else
		return;
	if (klips_parse(cmd, argc, argv, NULL, NULL, &req, &msg) != 1 || req.op == KLIPS_LIST) {
		klips_req_wipe(&req);
		return;
	}
	before = saved(k);
	if (klips_rt_copy(&copy, k) < 0)
		abort();
	r = klips_rt_apply(&copy, file, &req, &out);
	klips_req_wipe(&req);
	if (r == 0) {
		check_invariants(&copy, file);
		klips_rt_free(k);
		*k = copy;
	} else {
		if (!out.s)
			fail("a failed request without a message", NULL, NULL);
		after = saved(k);
		if (strcmp(before, after))
			fail("a failed request changed the original", NULL, after);
		free(after);
		after = saved(&copy);
		if (strcmp(before, after))
			fail("a failed request changed its copy", NULL, after);
		free(after);
		klips_rt_free(&copy);
	}
	free(before);
	strbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cfg *file;
	struct klips_rt k = { 0 };
	struct strbuf notes = STRBUF_INIT;
	char *text;

	if (size < 1)
		return 0;
	file = conf[data[0] % NCONF];
	text = strndup((const char *)data + 1, size - 1);
	if (!text)
		abort();
	if ((data[0] / NCONF) % 2 == 0) {
		if (klips_rt_load(&k, file, text, &notes) < 0)
			abort();
	} else {
		char *save = NULL;

		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			apply_line(&k, file, l);
	}
	check_invariants(&k, file);
	check_round_trip(&k, file);
	klips_rt_free(&k);
	strbuf_free(&notes);
	free(text);
	return 0;
}
