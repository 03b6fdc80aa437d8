/* fuzz_cfg.c: libFuzzer harness for the config parser, the model and the
 * canonical printer (what `spigrpd -n` runs).
 *
 * Input: the text of a config file.  It is split into lines as cfg_load()
 * splits a file, parsed (cfg_parser_*) and built into a sadb (sadb_build())
 * with a fixed set of local addresses; while that is refused, the lines the
 * errors name are dropped and it is tried again (so that mutated inputs
 * reach the printer, not only the error paths).  The model is printed
 * (sadb_print_config()).
 * The printed text is then parsed and built again and must give an equal
 * model: the same number of groups, in the same order, with the same names,
 * each pair sadb_group_equal(); printing that model must give the same
 * text again.  Every error message either parse produced must be printable
 * (escape_text() leaves it as it is).  Any difference is an abort(), which
 * libFuzzer reports as a crash with the input that caused it.
 *
 * Keys: the printer writes "enckey = <hidden>", which does not parse.  The
 * harness puts the first config's key back on such a line (as hex, looked
 * up by the SAID of the [sa] section it is in), so the reparse sees a whole
 * config and sadb_group_equal() compares keys too: a key printed for the
 * wrong SA, or a key line missing or extra, shows as a difference.  A
 * <hidden> line for a key the config does not hold (it is left to the
 * `secrets` file, which the parser alone does not read) is dropped.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "escape.h"
#include "sadb.h"
#include "said.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The addresses this "host" has: the local ends of tests/data/ and of
 * contrib/seed.conf's left side, so the seed corpus has groups of every
 * direction (in, out, skipped). */
static const char *const local_text[] = {
	"192.0.2.1", "2001:db8::1", "127.0.0.1", "::1", "192.168.2.100", "3049:1::1",
};
#define NLOCAL (sizeof(local_text) / sizeof(local_text[0]))
static struct ip_addr local_addr[NLOCAL];
static bool verbose; /* FUZZ_CFG_VERBOSE set: show errors and the -n output */

static bool fixed_is_local(const struct ip_addr *a, void *arg)
{
	for (size_t i = 0; i < NLOCAL; i++)
		if (ip_addr_equal(&local_addr[i], a))
			return true;
	return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (size_t i = 0; i < NLOCAL; i++)
		if (ip_addr_parse(local_text[i], &local_addr[i], NULL, 0) < 0)
			abort();
	verbose = getenv("FUZZ_CFG_VERBOSE") != NULL;
	return 0;
}

static void fail(const char *what, const char *first, const char *second)
{
	fprintf(stderr, "fuzz_cfg: %s\n", what);
	if (first)
		fprintf(stderr, "---- first -n output\n%s", first);
	if (second)
		fprintf(stderr, "---- second\n%s", second);
	abort();
}

/* Every collected message must already be printable text. */
static void check_errors(const struct cfg_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		char *e = escape_text(errs->msg[i], ESCAPE_NOCAP, ESCAPE_NOCAP);

		if (!e)
			abort();
		if (strcmp(e, errs->msg[i]) != 0) {
			fprintf(stderr, "fuzz_cfg: error message not escaped: %s\n", e);
			abort();
		}
		free(e);
	}
}

struct model {
	struct cfg *cfg;
	struct sadb *db;
};

static void model_free(struct model *m)
{
	sadb_free(m->db);
	cfg_free(m->cfg);
}

/* The input cut into lines at '\n' only, as cfg_load() cuts a file ("\r"
 * and the rest are the parser's); a dropped line is fed as "". */
struct lines {
	char **line;
	bool *drop;
	unsigned n;
};

static void lines_split(struct lines *l, const char *text, size_t len)
{
	const char *s = text, *end = text + len;

	memset(l, 0, sizeof(*l));
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);

		l->line = realloc(l->line, (l->n + 1) * sizeof(*l->line));
		if (!l->line || !(l->line[l->n] = strndup(s, n)))
			abort();
		l->n++;
		s += n + 1;
	}
	l->drop = calloc(l->n + 1, sizeof(*l->drop));
	if (!l->drop)
		abort();
}

static void lines_free(struct lines *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	free(l->drop);
}

/* Parse @l (dropped lines as empty ones) and build; errors into @errs. */
static void parse(const struct lines *l, struct model *m, struct cfg_errors *errs)
{
	struct cfg_parser *p = cfg_parser_new("fuzz.conf", errs);

	if (!p)
		abort();
	for (unsigned i = 0; i < l->n; i++)
		cfg_parser_line(p, l->drop[i] ? "" : l->line[i]);
	m->cfg = cfg_parser_finish(p);
	m->db = m->cfg ? sadb_build(m->cfg, fixed_is_local, NULL, errs) : NULL;
	if (!m->db) {
		cfg_free(m->cfg);
		m->cfg = NULL;
	}
}

/* Mark the lines that @errs name ("fuzz.conf:LINE: ...") dropped.
 * Return: how many were not dropped before. */
static unsigned drop_error_lines(struct lines *l, const struct cfg_errors *errs)
{
	unsigned n = 0, line;

	for (size_t i = 0; i < errs->n; i++) {
		if (sscanf(errs->msg[i], "fuzz.conf:%u:", &line) != 1 || line == 0 || line > l->n)
			continue;
		if (!l->drop[line - 1])
			n++;
		l->drop[line - 1] = true;
	}
	return n;
}

/*
 * Build the model of @text[0..@len).  With @repair, a refused text is made
 * acceptable by dropping the lines the errors name, again and again (up to
 * MAX_REPAIRS times): most mutated inputs hold a bad line or two, and
 * without this few would ever reach the printer.  Without @repair (the -n
 * output) the text must be accepted as it is.
 * Return: 0 with @m filled; 1 when the text stays refused, or holds a NUL
 * byte (cfg_load() refuses such a line; the parser cannot take it).
 */
#define MAX_REPAIRS 16

static int build(const char *text, size_t len, struct model *m, bool repair)
{
	struct cfg_errors errs = { 0 };
	struct lines l;
	unsigned round = 0;

	if (memchr(text, '\0', len))
		return 1;
	lines_split(&l, text, len);
	for (;;) {
		parse(&l, m, &errs);
		check_errors(&errs);
		for (size_t i = 0; verbose && i < errs.n; i++)
			fprintf(stderr, "fuzz_cfg: round %u: %s\n", round, errs.msg[i]);
		if (m->db || !repair || round++ == MAX_REPAIRS || !drop_error_lines(&l, &errs))
			break;
		cfg_errors_free(&errs);
	}
	if (!m->db && !repair) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		fail("the -n output does not parse back", text, NULL);
	}
	cfg_errors_free(&errs);
	lines_free(&l);
	return m->db ? 0 : 1;
}

static char *print(const struct model *m, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	sadb_print_config(m->db, m->cfg, f);
	if (fclose(f) != 0)
		abort();
	return buf;
}

static void put_key(FILE *o, const char *name, const struct cfg_key *k)
{
	if (!k->len)
		return; /* left to the secrets file */
	fprintf(o, "%s = 0x", name);
	for (size_t i = 0; i < k->len; i++)
		fprintf(o, "%02x", k->data[i]);
	fputc('\n', o);
}

/* @text with each "<hidden>" key line replaced by the key of @c's SA. */
static char *unhide_keys(const char *text, const struct cfg *c, size_t *olen)
{
	char *out = NULL, *line = NULL;
	size_t cap = 0;
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	FILE *o = open_memstream(&out, olen);
	const struct cfg_sa *sa = NULL;

	if (!in || !o)
		abort();
	while (getline(&line, &cap, in) > 0) {
		bool enc = strcmp(line, "enckey = <hidden>\n") == 0;

		if (strncmp(line, "[sa ", 4) == 0) {
			char *e = strchr(line, ']');
			struct said s;

			if (!e)
				fail("an [sa line without ]", text, NULL);
			*e = '\0';
			if (said_parse(line + 4, &s, NULL, 0) < 0)
				fail("an [sa] SAID that does not parse", text, NULL);
			*e = ']';
			sa = cfg_find_sa(c, &s); /* NULL for a tun made from mode = tunnel */
		}
		if (!enc && strcmp(line, "authkey = <hidden>\n") != 0) {
			fputs(line, o);
			continue;
		}
		if (!sa)
			fail("a key printed for an SA the config does not have", text, NULL);
		put_key(o, enc ? "enckey" : "authkey", enc ? &sa->enckey : &sa->authkey);
	}
	free(line);
	fclose(in);
	if (fclose(o) != 0)
		abort();
	return out;
}

static void compare(const struct model *a, const struct model *b, const char *out)
{
	if (a->db->ngroup != b->db->ngroup)
		fail("the -n output parses to another number of groups", out, NULL);
	for (size_t i = 0; i < a->db->ngroup; i++) {
		const struct sadb_group *x = a->db->group[i], *y = b->db->group[i];

		if (strcmp(x->name, y->name) != 0) {
			fprintf(stderr, "group %zu: %s, then %s\n", i, x->name, y->name);
			fail("the -n output parses to groups in another order", out, NULL);
		}
		if (!sadb_group_equal(x, y)) {
			fprintf(stderr, "group %zu: %s\n", i, x->name);
			fail("the -n output parses to a different group", out, NULL);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m1, m2;
	char *out1, *plain, *out2;
	size_t len1, plen, len2;

	if (build((const char *)data, size, &m1, true) != 0)
		return 0;
	out1 = print(&m1, &len1);
	if (verbose)
		fprintf(stderr, "fuzz_cfg: -n output\n%s", out1);
	plain = unhide_keys(out1, m1.cfg, &plen);
	if (build(plain, plen, &m2, false) != 0)
		fail("the -n output holds a NUL byte", out1, NULL);
	compare(&m1, &m2, out1);
	out2 = print(&m2, &len2);
	if (len1 != len2 || memcmp(out1, out2, len1) != 0)
		fail("printing the reparsed model gives another text", out1, out2);
	free(out1);
	free(out2);
	free(plain);
	model_free(&m1);
	model_free(&m2);
	return 0;
}
