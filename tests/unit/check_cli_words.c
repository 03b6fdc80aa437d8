/* check_cli_words.c: the request line of the KLIPS change commands
 * (src/cli/cli_words.h): words that cannot travel, the program name's
 * fallback, keys read from standard input sent in hex (and the daemon's
 * klips_parse() reading the same keys back), the limits of the control
 * protocol, and the list of `spi` options without a value against
 * klips_parse(). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_words.h"
#include "cmd.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_word_ok)
{
	static const char *const good[] = { "--said", "-", "%pass", "esp.100@192.0.2.1", "\xc3\xa9", "~" };
	static const char *const bad[] = { "", "a b", "a\tb", "a\nb", "\x1b[0m", "a\x7f", " " };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		ck_assert_msg(cli_word_ok(good[i]), "%s", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(!cli_word_ok(bad[i]), "bad word %zu", i);
}
END_TEST

START_TEST(test_prog_name)
{
	ck_assert_str_eq(cli_prog_name(KLIPS_SPI, "/usr/lib/my ipsec/spi"), "spi");
	ck_assert_str_eq(cli_prog_name(KLIPS_EROUTE, "/opt/x y/er"), "er");
	ck_assert_str_eq(cli_prog_name(KLIPS_SPIGRP, "/a/b c"), "spigrp");
	ck_assert_str_eq(cli_prog_name(KLIPS_SPI, NULL), "spi");
	ck_assert_str_eq(cli_prog_name(KLIPS_EROUTE, "/x/"), "eroute");
}
END_TEST

/* read_key for klips_parse(): hands out the keys of @ctx in turn. */
struct keys {
	const char *const *line;
	unsigned n;
};

static int give_key(void *arg, const char *what, char *buf, size_t len)
{
	struct keys *k = arg;
	const char *l = k->line[k->n++];

	(void)what;
	snprintf(buf, len, "%s", l);
	return (int)strlen(buf);
}

/* Parse @argv as @cmd with @keys on "standard input", build the line;
 * return cli_klips_line()'s result, the line in @line. */
static int line_of(enum klips_cmd cmd, char **argv, const char *const *keys, char *line, size_t size,
		   char *why, size_t whylen)
{
	struct keys k = { keys, 0 };
	struct klips_req req;
	struct klips_msg msg;
	int argc = 0, r;

	while (argv[argc])
		argc++;
	ck_assert_msg(klips_parse(cmd, argc, argv, give_key, &k, &req, &msg) == 1, "%s", msg.err);
	r = cli_klips_line(&req, argc, argv, k.n, line, size, why, whylen);
	klips_req_wipe(&req);
	return r;
}

#define ENC "0x0123456789abcdef_0123456789abcdef_0123456789abcdef"
#define ENC_HEX "0x0123456789abcdef0123456789abcdef0123456789abcdef"
#define AUTH "0xA1B2C3D4E5F60718293a4b5c6d7e8f9001020304"
#define AUTH_HEX "0xa1b2c3d4e5f60718293a4b5c6d7e8f9001020304"

static const struct {
	const char *what;
	enum klips_cmd cmd;
	const char *argv[24];
	const char *keys[2];
	const char *want;
} lines[] = {
	{ "spi with both keys on standard input", KLIPS_SPI,
	  { "/usr/libexec/ipsec/spi", "--af", "inet", "--edst", "192.0.2.1", "--spi", "0x100",
	    "--proto", "esp", "--src", "192.0.2.2", "--esp", "3des-sha1-96", "--enckey", "-",
	    "--authkey", "-", NULL },
	  { ENC "\n", AUTH },
	  "spi /usr/libexec/ipsec/spi --af inet --edst 192.0.2.1 --spi 0x100 --proto esp --src 192.0.2.2 "
	  "--esp 3des-sha1-96 --enckey " ENC_HEX " --authkey " AUTH_HEX "\n" },
	{ "--enckey=- and a key on the line, kept as typed", KLIPS_SPI,
	  { "spi", "--said", "esp.100@192.0.2.1", "--src", "192.0.2.2", "--esp", "3des-sha1-96",
	    "--enckey=-", "--authkey", AUTH, NULL },
	  { ENC },
	  "spi spi --said esp.100@192.0.2.1 --src 192.0.2.2 --esp 3des-sha1-96 --enckey=" ENC_HEX
	  " --authkey " AUTH "\n" },
	{ "--authkey=- with --ah, after flags", KLIPS_SPI,
	  { "spi", "--debug", "--label", "x", "--said", "ah.200@192.0.2.1", "--ah", "hmac-sha1-96",
	    "--authkey=-", NULL },
	  { AUTH },
	  "spi spi --debug --label x --said ah.200@192.0.2.1 --ah hmac-sha1-96 --authkey=" AUTH_HEX "\n" },
	{ "spi --del: no keys", KLIPS_SPI, { "spi", "--del", "--said", "esp.100@192.0.2.1", NULL }, { NULL },
	  "spi spi --del --said esp.100@192.0.2.1\n" },
	{ "spigrp quadruples", KLIPS_SPIGRP,
	  { "/usr/local/libexec/ipsec/spigrp", "inet", "192.1.2.45", "0x12345678", "tun", "inet",
	    "192.1.2.45", "0x12345678", "esp", NULL },
	  { NULL },
	  "spigrp /usr/local/libexec/ipsec/spigrp inet 192.1.2.45 0x12345678 tun inet 192.1.2.45 "
	  "0x12345678 esp\n" },
	{ "eroute --add", KLIPS_EROUTE,
	  { "eroute", "--add", "--eraf", "inet", "--src", "192.0.2.0/24", "--dst", "192.0.1.0/24",
	    "--said", "tun0x12345678@192.1.2.45", NULL },
	  { NULL },
	  "eroute eroute --add --eraf inet --src 192.0.2.0/24 --dst 192.0.1.0/24 --said "
	  "tun0x12345678@192.1.2.45\n" },
};

START_TEST(test_lines)
{
	char line[CMD_LINE_MAX], why[256];
	int r = line_of(lines[_i].cmd, (char **)lines[_i].argv, lines[_i].keys, line, sizeof(line),
			why, sizeof(why));

	ck_assert_msg(r == 0, "%s: %s", lines[_i].what, why);
	ck_assert_str_eq(line, lines[_i].want);
}
END_TEST

/* What the daemon does with the line: klips_parse() of its words (after
 * the command word) gives the same keys as the client read. */
START_TEST(test_reparse)
{
	static const char *const keys[] = { ENC, AUTH };
	char *argv[] = { "spi", "--said", "esp.100@192.0.2.1", "--src", "192.0.2.2", "--esp",
			 "3des-sha1-96", "--enckey", "-", "--authkey=-", NULL };
	char line[CMD_LINE_MAX], why[256], *words[CMD_ARGS_MAX + 2], *save = NULL, *w;
	struct keys k = { keys, 0 };
	struct klips_req a, b;
	struct klips_msg msg;
	int n = 0;

	ck_assert_int_eq(klips_parse(KLIPS_SPI, 10, argv, give_key, &k, &a, &msg), 1);
	ck_assert_int_eq(cli_klips_line(&a, 10, argv, k.n, line, sizeof(line), why, sizeof(why)), 0);
	line[strlen(line) - 1] = '\0';
	for (w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	ck_assert_str_eq(words[0], "spi");
	ck_assert_int_eq(klips_parse(KLIPS_SPI, n - 1, words + 1, NULL, NULL, &b, &msg), 1);
	ck_assert_uint_eq(a.spi.enckey.len, 24);
	ck_assert_uint_eq(a.spi.authkey.len, 20);
	ck_assert_uint_eq(b.spi.enckey.len, a.spi.enckey.len);
	ck_assert_uint_eq(b.spi.authkey.len, a.spi.authkey.len);
	ck_assert(!memcmp(a.spi.enckey.data, b.spi.enckey.data, a.spi.enckey.len));
	ck_assert(!memcmp(a.spi.authkey.data, b.spi.authkey.data, a.spi.authkey.len));
	klips_req_wipe(&a);
	klips_req_wipe(&b);
}
END_TEST

START_TEST(test_refused)
{
	char line[CMD_LINE_MAX], why[256], *argv[CMD_ARGS_MAX + 2];
	struct klips_req req;
	int i;

	memset(&req, 0, sizeof(req));
	req.cmd = KLIPS_EROUTE;
	/* a word with a blank: named by position, not quoted */
	argv[0] = "eroute";
	argv[1] = "--label";
	argv[2] = "my secret";
	ck_assert_int_eq(cli_klips_line(&req, 3, argv, 0, line, sizeof(line), why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "argument 2 is empty or holds a blank or a control character: it cannot "
			      "be sent to spigrpd");
	ck_assert_str_eq(line, "");
	argv[2] = "";
	ck_assert_int_eq(cli_klips_line(&req, 3, argv, 0, line, sizeof(line), why, sizeof(why)), -EINVAL);
	/* 64 words after the command fit, 65 do not */
	for (i = 1; i < CMD_ARGS_MAX + 1; i++)
		argv[i] = "--clear";
	ck_assert_int_eq(cli_klips_line(&req, CMD_ARGS_MAX, argv, 0, line, sizeof(line), why, sizeof(why)), 0);
	ck_assert_int_eq(cli_klips_line(&req, CMD_ARGS_MAX + 1, argv, 0, line, sizeof(line), why,
					sizeof(why)), -E2BIG);
	ck_assert_str_eq(why, "too many arguments for spigrpd's control socket (64, at most 63)");
	/* a line too long for the buffer (or for the daemon's limit) */
	ck_assert_int_eq(cli_klips_line(&req, 3, argv, 0, line, 20, why, sizeof(why)), -E2BIG);
	ck_assert(strstr(why, "too long"));
	/* keys read but no "-" word found (the parse and the line disagree) */
	req.cmd = KLIPS_SPI;
	argv[1] = "--label";
	argv[2] = "--enckey=-";
	ck_assert_int_eq(cli_klips_line(&req, 3, argv, 1, line, sizeof(line), why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "read 1 key(s) from standard input but found 0 \"-\" key word(s)");
}
END_TEST

/* The options of spi: a "-" after "--enckey" is a key exactly when the
 * option before "--enckey" takes no value, as klips_parse() sees it
 * ("--NAME=x" refused with "doesn't allow an argument"). */
static const char *const spi_opts[] = {
	"ah", "esp", "comp", "ip4", "ip6", "del", "clear", "authkey", "enckey", "edst", "spi",
	"proto", "af", "replay_window", "iv", "dst", "src", "natt", "sport", "dport", "said",
	"help", "version", "label", "debug", "life",
};

START_TEST(test_spi_flags)
{
	char opt[64], eqx[64], line[CMD_LINE_MAX], why[256];
	char *parse_argv[] = { "spi", eqx, NULL };
	char *argv[] = { "spi", opt, "--enckey", "-", NULL };
	struct klips_req req;
	struct klips_msg msg;
	bool flag;
	int r;

	snprintf(opt, sizeof(opt), "--%s", spi_opts[_i]);
	snprintf(eqx, sizeof(eqx), "--%s=x", spi_opts[_i]);
	klips_parse(KLIPS_SPI, 2, parse_argv, NULL, NULL, &req, &msg);
	flag = strstr(msg.err, "doesn't allow an argument") != NULL;
	ck_assert_msg(flag || !strstr(msg.err, "unrecognized option"), "%s", msg.err);
	memset(&req, 0, sizeof(req));
	req.cmd = KLIPS_SPI;
	r = cli_klips_line(&req, 4, argv, 1, line, sizeof(line), why, sizeof(why));
	ck_assert_msg(flag ? r == 0 : r == -EINVAL, "--%s: flag %d, line %d", spi_opts[_i], flag, r);
}
END_TEST

static Suite *cli_words_suite(void)
{
	Suite *s = suite_create("cli_words");
	TCase *tc = tcase_create("cli_words");

	tcase_add_test(tc, test_word_ok);
	tcase_add_test(tc, test_prog_name);
	tcase_add_loop_test(tc, test_lines, 0, ARRAY_SIZE(lines));
	tcase_add_test(tc, test_reparse);
	tcase_add_test(tc, test_refused);
	tcase_add_loop_test(tc, test_spi_flags, 0, ARRAY_SIZE(spi_opts));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_words_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
