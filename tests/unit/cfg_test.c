/* cfg_test.c: helpers that check_cfg.c and check_cfg_load.c share
 * (cfg_test.h). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_test.h"

/* Feed @text (lines split at '\n') to a parser named "t.conf". */
struct cfg *parse_text(const char *text, struct cfg_errors *e)
{
	struct cfg_parser *p = cfg_parser_new("t.conf", e);
	char *copy = strdup(text), *s, *nl;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(copy);
	for (s = copy; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		if (!nl) {
			cfg_parser_line(p, s);
			break;
		}
		*nl = '\0';
		cfg_parser_line(p, s);
	}
	free(copy);
	return cfg_parser_finish(p);
}

void dump_errors(const struct cfg_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		fprintf(stderr, "  got: %s\n", e->msg[i]);
}

struct cfg *parse_ok(const char *text)
{
	struct cfg_errors e = { 0 };
	struct cfg *c = parse_text(text, &e);

	if (!c)
		dump_errors(&e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(e.n, 0);
	cfg_errors_free(&e);
	return c;
}

const uint8_t h4[4] = { 0x01, 0x23, 0x45, 0x67 };

void check_key(const struct cfg_key *k, size_t len)
{
	size_t i;

	ck_assert_uint_eq(k->len, len);
	ck_assert_ptr_nonnull(k->data);
	for (i = 0; i < len; i++)
		ck_assert_uint_eq(k->data[i], h4[i % 4]);
}

