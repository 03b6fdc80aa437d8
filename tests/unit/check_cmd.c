/* check_cmd.c: the command table (src/ctl/cmd.c): the pure request parser,
 * argument checks, dispatch with transactions, help. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* What the transaction hooks and commands saw, in order. */
static char trace[256];

static void note(const char *what)
{
	strncat(trace, what, sizeof(trace) - strlen(trace) - 1);
}

static int run_ok(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)arg;
	note("run ");
	strbuf_printf(out, "%s %d\n", call->def->name, call->argc);
	return 0;
}

static int run_fail(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)arg;
	(void)call;
	note("run ");
	strbuf_puts(out, "no such SA\n");
	return ENOENT; /* positive: taken as -ENOENT */
}

static int begin(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)call;
	(void)out;
	note("begin ");
	return arg ? -EBUSY : 0; /* a non-NULL arg: refuse to begin */
}

static int commit(void *arg, const struct cmd_call *call, struct strbuf *out)
{
	(void)arg;
	(void)out;
	note("commit ");
	return call->argc == 2 ? -EEXIST : 0; /* two arguments: commit fails */
}

static void abort_txn(void *arg, const struct cmd_call *call)
{
	(void)arg;
	(void)call;
	note("abort ");
}

/* The arguments must not start with '-'. */
static int no_dash(const struct cmd_call *call, struct reason *why)
{
	for (int i = 0; i < call->argc; i++)
		if (call->argv[i][0] == '-') {
			reason_set(why, "%s: no options", call->def->name);
			return -EINVAL;
		}
	return 0;
}

static const struct cmd_def defs[] = {
	{ "show", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, run_ok, 0, "", "show it" },
	{ "get", CMD_ANYONE, 0, 1, 2, no_dash, run_ok, 0, "NAME [NAME]", "get one or two" },
	{ "set", CMD_PRIVILEGED, CMD_TXN, 1, CMD_ARGS_MAX, NULL, run_ok, 0, "SA...",
	  "set them all or none" },
	{ "del", CMD_PRIVILEGED, CMD_TXN, 0, 1, NULL, run_fail, 0, "[SA]", "fails" },
	{ "plain", CMD_PRIVILEGED, 0, 0, 0, NULL, run_fail, 0, "", "not a transaction" },
	{ "help", CMD_ANYONE, CMD_SHARED, 0, 0, NULL, cmd_run_help, 0, "", "this list" },
};
static const struct cmd_table table = {
	.cmd = defs,
	.n = sizeof(defs) / sizeof(defs[0]),
	.txn_begin = begin,
	.txn_commit = commit,
	.txn_abort = abort_txn,
};
static const struct cmd_table no_txn = { .cmd = defs, .n = sizeof(defs) / sizeof(defs[0]) };

static struct cmd_call call;

static int parse(const char *req, size_t len, struct reason *why)
{
	return cmd_parse(&table, req, len, &call, why);
}

static const struct {
	int line;
	const char *req;
	size_t len; /* 0: strlen(req) */
	int err;
	const char *cmd;   /* on success */
	int argc;
	const char *why;   /* on failure: the reason's start */
} parse_cases[] = {
	{ __LINE__, "show", 0, 0, "show", 0, NULL },
	{ __LINE__, "show\n", 0, 0, "show", 0, NULL },
	{ __LINE__, "show\r\n", 0, 0, "show", 0, NULL },
	{ __LINE__, " \t show \t\n", 0, 0, "show", 0, NULL },
	{ __LINE__, "get a\nignored\x01\n", 0, 0, "get", 1, NULL },
	{ __LINE__, "get a b c", 0, 0, "get", 3, NULL }, /* counts: cmd_check_args */
	{ __LINE__, "get caf\xc3\xa9", 0, 0, "get", 1, NULL }, /* UTF-8 is text */
	{ __LINE__, "", 0, -EINVAL, NULL, 0, "empty request" },
	{ __LINE__, " \t\r\n", 0, -EINVAL, NULL, 0, "empty request" },
	{ __LINE__, "show\0x\n", 7, -EINVAL, NULL, 0,
	  "malformed request: control character 0x00 at byte 4" },
	{ __LINE__, "sh\row\n", 0, -EINVAL, NULL, 0,
	  "malformed request: control character 0x0d at byte 2" },
	{ __LINE__, "show\r\r\n", 0, -EINVAL, NULL, 0,
	  "malformed request: control character 0x0d at byte 4" },
	{ __LINE__, "show\x7f", 0, -EINVAL, NULL, 0,
	  "malformed request: control character 0x7f at byte 4" },
	{ __LINE__, "Show", 0, -EINVAL, NULL, 0, "unknown command \"Show\" (try help)" },
	{ __LINE__, "shows", 0, -EINVAL, NULL, 0, "unknown command \"shows\" (try help)" },
	{ __LINE__, "\xc2\x9b" "2J", 0, -EINVAL, NULL, 0,
	  "unknown command \"\\xc2\\x9b2J\" (try help)" },
	{ __LINE__, "\x9b" "2J", 0, -EINVAL, NULL, 0, "unknown command \"\\x9b2J\" (try help)" },
	{ __LINE__, "a\xe2\x80\xae" "b", 0, -EINVAL, NULL, 0,
	  "unknown command \"a\\u{202e}b\" (try help)" },
};

START_TEST(test_parse)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const char *req = parse_cases[i].req;
		size_t len = parse_cases[i].len ? parse_cases[i].len : strlen(req);
		struct reason why = { "" };
		int r = parse(req, len, &why);

		ck_assert_msg(r == parse_cases[i].err, "line %d: %d (%s)", parse_cases[i].line, r,
			      why.text);
		if (r == 0) {
			ck_assert_str_eq(call.def->name, parse_cases[i].cmd);
			ck_assert_str_eq(call.word[0], parse_cases[i].cmd);
			ck_assert_int_eq(call.argc, parse_cases[i].argc);
			ck_assert_ptr_null(call.argv[call.argc]);
		} else {
			ck_assert_ptr_null(call.def);
			ck_assert_msg(!strcmp(why.text, parse_cases[i].why), "line %d: \"%s\"",
				      parse_cases[i].line, why.text);
		}
	}
}
END_TEST

START_TEST(test_parse_words)
{
	struct reason why;

	ck_assert_int_eq(parse("get\tone  two\r\n", 14, &why), 0);
	ck_assert_int_eq(call.argc, 2);
	ck_assert_str_eq(call.argv[0], "one");
	ck_assert_str_eq(call.argv[1], "two");
	ck_assert_uint_eq(call.wordlen, sizeof("get\0one\0two"));
	ck_assert_int_eq(memcmp(call.words, "get\0one\0two", call.wordlen), 0);
}
END_TEST

/* Limits: the line's length (newline included) and the word count. */
START_TEST(test_parse_limits)
{
	char *buf = malloc(CMD_LINE_MAX + 10), *p;
	struct reason why;
	int i;

	memset(buf, 'x', CMD_LINE_MAX + 10);
	memcpy(buf, "get ", 4);
	buf[CMD_LINE_MAX - 1] = '\n'; /* 4095 bytes and the newline: fits */
	ck_assert_int_eq(parse(buf, CMD_LINE_MAX + 10, &why), 0);
	ck_assert_int_eq(call.argc, 1);
	ck_assert_uint_eq(strlen(call.argv[0]), CMD_LINE_MAX - 1 - 4);
	buf[CMD_LINE_MAX - 1] = 'x';
	buf[CMD_LINE_MAX] = '\n';
	ck_assert_int_eq(parse(buf, CMD_LINE_MAX + 10, &why), -EMSGSIZE);
	ck_assert_str_eq(why.text, "request too long (at most 4095 bytes)");
	ck_assert_int_eq(parse(buf, CMD_LINE_MAX, &why), -EMSGSIZE); /* no newline yet */
	ck_assert_int_eq(parse(buf, CMD_LINE_MAX - 1, &why), 0);     /* EOF ended it */

	p = buf;
	p += sprintf(p, "set");
	for (i = 0; i < CMD_ARGS_MAX; i++)
		p += sprintf(p, " a");
	ck_assert_int_eq(parse(buf, (size_t)(p - buf), &why), 0);
	ck_assert_int_eq(call.argc, CMD_ARGS_MAX);
	p += sprintf(p, " a");
	ck_assert_int_eq(parse(buf, (size_t)(p - buf), &why), -E2BIG);
	ck_assert_str_eq(why.text, "too many arguments (at most 64)");
	free(buf);
}
END_TEST

/* A long unknown name is cut at CMD_NAME_SHOWN bytes (never in the middle
 * of a UTF-8 character) and the reason still ends as it should. */
START_TEST(test_unknown_cut)
{
	char name[300];
	struct reason why;

	memset(name, 'n', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(parse(name, strlen(name), &why), -EINVAL);
	ck_assert_uint_eq(strlen(why.text), strlen("unknown command \"\" (try help)") +
						    CMD_NAME_SHOWN + 3);
	ck_assert_ptr_nonnull(strstr(why.text, "nnn...\" (try help)"));
	/* C1 controls all the way: the longest escaped form still fits */
	for (size_t i = 0; i + 2 < sizeof(name); i += 2)
		memcpy(name + i, "\xc2\x85", 2);
	name[sizeof(name) - 2] = '\0';
	ck_assert_int_eq(parse(name, strlen(name), &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "\\xc2\\x85...\" (try help)"));
}
END_TEST

static const struct {
	int line;
	const char *req;
	int err;
	const char *why;
} arg_cases[] = {
	{ __LINE__, "show", 0, "" },
	{ __LINE__, "show x", -EINVAL, "show takes no arguments" },
	{ __LINE__, "get", -EINVAL, "get needs at least 1 argument: get NAME [NAME]" },
	{ __LINE__, "get a", 0, "" },
	{ __LINE__, "get a b", 0, "" },
	{ __LINE__, "get a b c", -EINVAL, "get takes at most 2 arguments: get NAME [NAME]" },
	{ __LINE__, "get a -b", -EINVAL, "get: no options" },
	{ __LINE__, "set", -EINVAL, "set needs at least 1 argument: set SA..." },
};

START_TEST(test_check_args)
{
	for (size_t i = 0; i < sizeof(arg_cases) / sizeof(arg_cases[0]); i++) {
		struct reason why = { "" };

		ck_assert_int_eq(parse(arg_cases[i].req, strlen(arg_cases[i].req), &why), 0);
		ck_assert_msg(cmd_check_args(&call, &why) == arg_cases[i].err, "line %d",
			      arg_cases[i].line);
		ck_assert_msg(!strcmp(why.text, arg_cases[i].why), "line %d: \"%s\"",
			      arg_cases[i].line, why.text);
	}
}
END_TEST

START_TEST(test_privilege_and_find)
{
	ck_assert(!cmd_needs_privilege(cmd_find(&table, "show")));
	ck_assert(!cmd_needs_privilege(cmd_find(&table, "get")));
	ck_assert(cmd_needs_privilege(cmd_find(&table, "set")));
	ck_assert(cmd_needs_privilege(cmd_find(&table, "plain")));
	ck_assert_ptr_null(cmd_find(&table, "SET"));
	ck_assert_ptr_null(cmd_find(&table, ""));
}
END_TEST

/* Run @req through cmd_exec() with @t; *@text gets the output. */
static int exec(const struct cmd_table *t, void *arg, const char *req, char **text)
{
	struct strbuf out = STRBUF_INIT;
	struct reason why;
	int r;

	trace[0] = '\0';
	ck_assert_int_eq(cmd_parse(t, req, strlen(req), &call, &why), 0);
	r = cmd_exec(arg, &call, &out);
	*text = strbuf_take(&out, NULL);
	return r;
}

START_TEST(test_exec_transactions)
{
	char *text;

	/* not a transaction: just the run, positive errno made negative */
	ck_assert_int_eq(exec(&table, NULL, "plain", &text), -ENOENT);
	ck_assert_str_eq(trace, "run ");
	free(text);
	ck_assert_int_eq(exec(&table, NULL, "show", &text), 0);
	ck_assert_str_eq(text, "show 0\n");
	free(text);
	/* begin, run, commit */
	ck_assert_int_eq(exec(&table, NULL, "set a", &text), 0);
	ck_assert_str_eq(trace, "begin run commit ");
	ck_assert_str_eq(text, "set 1\n");
	free(text);
	/* the command fails: abort, not commit */
	ck_assert_int_eq(exec(&table, NULL, "del x", &text), -ENOENT);
	ck_assert_str_eq(trace, "begin run abort ");
	ck_assert_str_eq(text, "no such SA\n");
	free(text);
	/* commit fails (and has undone everything itself): its errno */
	ck_assert_int_eq(exec(&table, NULL, "set a b", &text), -EEXIST);
	ck_assert_str_eq(trace, "begin run commit ");
	free(text);
	/* begin refuses: nothing runs */
	ck_assert_int_eq(exec(&table, (void *)1, "set a", &text), -EBUSY);
	ck_assert_str_eq(trace, "begin ");
	free(text);
	/* a table without transactions cannot run a CMD_TXN command */
	ck_assert_int_eq(exec(&no_txn, NULL, "set a", &text), -ENOSYS);
	ck_assert_str_eq(trace, "");
	ck_assert_str_eq(text, "set: this daemon runs no transactions\n");
	free(text);
}
END_TEST

START_TEST(test_help)
{
	char *text;

	ck_assert_int_eq(exec(&table, NULL, "help", &text), 0);
	ck_assert_str_eq(text,
			 "show                    show it\n"
			 "get NAME [NAME]         get one or two\n"
			 "set SA...               set them all or none (root or control-group)\n"
			 "del [SA]                fails (root or control-group)\n"
			 "plain                   not a transaction (root or control-group)\n"
			 "help                    this list\n");
	free(text);
}
END_TEST

static Suite *cmd_suite(void)
{
	Suite *s = suite_create("cmd");
	TCase *tc = tcase_create("cmd");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_words);
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_unknown_cut);
	tcase_add_test(tc, test_check_args);
	tcase_add_test(tc, test_privilege_and_find);
	tcase_add_test(tc, test_exec_transactions);
	tcase_add_test(tc, test_help);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cmd_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
