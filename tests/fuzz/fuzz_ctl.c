/* fuzz_ctl.c: libFuzzer harness for the control request reader.
 *
 * Feeds any bytes to cmd_parse() and cmd_check_args() (src/ctl/cmd.c) over
 * a table shaped like the daemon's (reads without arguments, a privileged
 * change, commands with argument counts, a checker and a transaction) and
 * checks what a caller relies on: a parsed request names a command of the
 * table, its words are non-empty, blank-free and free of control bytes and
 * lie inside the call; a refusal has a reason that is safe to log (no C0
 * or C1 control, DEL, bidi or zero-width format character: escaped) and
 * an errno from the documented set.  Build: clang -fsanitize=fuzzer,
 * address,undefined with src/ctl/cmd.c and src/core/util/{escape,reason,
 * strbuf}.c; seeds in tests/fuzz/corpus/ctl/.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

static int run(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)arg;
	(void)call;
	(void)out;
	return 0;
}

/* A checker to run: names of at most 16 bytes. */
static int short_names(const struct cmd_call *call, struct reason *why)
{
	for (int i = 0; i < call->argc; i++)
		if (strlen(call->argv[i]) > 16) {
			reason_set(why, "%s: argument %d is longer than 16 bytes", call->def->name,
				   i + 1);
			return -EINVAL;
		}
	return 0;
}

static const struct cmd_def defs[] = {
	{ "view", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, run, 0, "", "view" },
	{ "list", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, run, 0, "", "list" },
	{ "status", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, run, 1000, "", "status" },
	{ "status-json", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, run, 1000, "", "json" },
	{ "version", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, run, 0, "", "version" },
	{ "help", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_run_help, 0, "", "help" },
	{ "reload", CMD_PRIVILEGED, 0, 0, 0, NULL, run, 0, "", "reload" },
	{ "get", CMD_ANYONE, 0, 1, 2, short_names, run, 0, "NAME [NAME]", "get" },
	{ "spi", CMD_PRIVILEGED, CMD_TXN, 1, CMD_ARGS_MAX, NULL, run, 0, "SA...", "spi" },
};
static const struct cmd_table table = {
	.cmd = defs,
	.n = sizeof(defs) / sizeof(defs[0]),
};

static bool is_def(const struct cmd_def *d)
{
	return d >= defs && d < defs + table.n;
}

/* No C0 control, DEL, C1 control in UTF-8, or the format characters that
 * escape_text() must have escaped (bidi, zero-width, BOM, ALM). */
static bool safe_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
		if (p[0] == 0xd8 && p[1] == 0x9c)
			return false;
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] &&
		    ((p[2] >= 0x8b && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae)))
			return false;
		if (p[0] == 0xe2 && p[1] == 0x81 && (p[2] == 0xa0 || (p[2] >= 0xa6 && p[2] <= 0xa9)))
			return false;
		if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
			return false;
	}
	return true;
}

static void check_parsed(struct cmd_call *call)
{
	struct reason why = { "" };
	int r;

	CHECK(is_def(call->def));
	CHECK(call->table == &table);
	CHECK(strcmp(call->word[0], call->def->name) == 0);
	CHECK(call->argc >= 0 && call->argc <= CMD_ARGS_MAX);
	CHECK(call->argv == call->word + 1);
	CHECK(call->argv[call->argc] == NULL);
	CHECK(call->wordlen <= sizeof(call->words));
	for (int i = 0; i <= call->argc; i++) {
		const char *w = call->word[i];
		size_t len = strlen(w);

		CHECK(w >= call->words && w + len < call->words + call->wordlen);
		CHECK(len > 0);
		for (size_t k = 0; k < len; k++)
			CHECK((unsigned char)w[k] > 0x20 && w[k] != 0x7f);
	}
	r = cmd_check_args(call, &why);
	if (r == 0) {
		CHECK(call->argc >= call->def->min_args && call->argc <= call->def->max_args);
	} else {
		CHECK(r == -EINVAL);
		CHECK(why.text[0] && safe_text(why.text));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmd_call call;
	static bool helped;
	struct reason why = { "" };
	int r;

	if (!helped) {
		struct strbuf out = STRBUF_INIT;

		cmd_help(&table, &out);
		CHECK(!out.oom && out.len > 0 && out.s[out.len - 1] == '\n');
		strbuf_free(&out);
		helped = true;
	}
	r = cmd_parse(&table, data, size, &call, &why);
	if (r == 0) {
		check_parsed(&call);
		return 0;
	}
	CHECK(r == -EINVAL || r == -E2BIG || r == -EMSGSIZE || r == -ENOMEM);
	CHECK(call.def == NULL);
	CHECK(memchr(why.text, '\0', sizeof(why.text)) != NULL);
	CHECK(why.text[0] && safe_text(why.text));
	return 0;
}
