/* klips_cli.c: `spi`, `spigrp` (KLIPS forms), `eroute` and `look` against
 * the control socket (klips_cli.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cfg.h"
#include "cli_words.h"
#include "cmd.h"
#include "ctl.h"
#include "klips_cli.h"

const char *cli_control(void)
{
	const char *e = getenv(CLI_CONTROL_ENV);

	return e && *e ? e : CFG_DEFAULT_CONTROL;
}

/* Write @len bytes to @f and flush; 0 or -1. */
static int put_all(FILE *f, const char *data, size_t len)
{
	if (len && fwrite(data, 1, len, f) != len)
		return -1;
	return fflush(f) ? -1 : 0;
}

/*
 * Send @line to @control and print the answer as the protocol says:
 * errno=0: the body on stdout when @show_ok (a change says what it did
 * only with --debug: KLIPS's commands printed nothing on success); else
 * the body on stderr (a body the daemon's command table wrote, not the
 * command, gets "PROG: " in front).
 * Return: the exit code.
 */
static int ask(const char *prog, const char *control, const char *line, bool show_ok)
{
	char *body = NULL;
	size_t len = 0, pl = strlen(prog);
	int r;

	r = ctl_request(control, line, &body, &len);
	if (r < 0) {
		fprintf(stderr, "%s: cannot reach spigrpd at %s: %s (is spigrpd running? if its "
				"control socket is elsewhere, set %s to it)\n", prog, control,
			strerror(-r), CLI_CONTROL_ENV);
		return 1;
	}
	if (r == 0) {
		r = show_ok ? put_all(stdout, body, len) : 0;
		free(body);
		if (r < 0) {
			fprintf(stderr, "%s: writing the answer: %s\n", prog, strerror(errno));
			return 1;
		}
		return 0;
	}
	if (!len)
		fprintf(stderr, "%s: spigrpd refused the request: %s\n", prog, strerror(r));
	else if (len <= pl || strncmp(body, prog, pl) != 0 || (body[pl] != ':' && body[pl] != ' '))
		fprintf(stderr, "%s: spigrpd: ", prog);
	put_all(stderr, body, len);
	free(body);
	return 1;
}

/* The read_key callback: one line of standard input, read byte by byte so
 * that no stdio buffer keeps a copy of the key. */
struct key_ctx {
	unsigned nread;
};

static int read_key(void *arg, const char *what, char *buf, size_t len)
{
	struct key_ctx *ctx = arg;
	size_t n = 0;
	char c;

	(void)what;
	ctx->nread++;
	for (;;) {
		ssize_t r = read(STDIN_FILENO, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0 || c == '\n')
			break;
		if (n + 1 < len)
			buf[n] = c;
		n++; /* a longer line fails as too long below */
	}
	OPENSSL_cleanse(&c, sizeof(c));
	if (!n)
		return -ENODATA;
	if (n + 1 > len)
		return -E2BIG;
	buf[n] = '\0';
	return (int)n;
}

/* The LIST form of @cmd: the view's text. */
static const char *list_request(enum klips_cmd cmd)
{
	return cmd == KLIPS_SPI ? "view-spi" : cmd == KLIPS_EROUTE ? "view-eroute" : "view";
}

/* A change: the request line (keys in hex), sent, wiped. */
static int change(const struct klips_req *req, const char *control, int argc, char **argv,
		  unsigned nread)
{
	char line[CMD_LINE_MAX], why[256];
	int code;

	if (cli_klips_line(req, argc, argv, nread, line, sizeof(line), why, sizeof(why)) < 0) {
		fprintf(stderr, "%s: %s\n", argv[0], why);
		return 1;
	}
	code = ask(argv[0], control, line, req->debug);
	OPENSSL_cleanse(line, sizeof(line));
	return code;
}

int klips_cli_run(enum klips_cmd cmd, const char *control, int argc, char **argv)
{
	struct key_ctx kc = { 0 };
	struct klips_req req;
	struct klips_msg msg;
	char *argv0 = argv[0];
	int code;

	if (!cli_word_ok(argv[0]))
		argv[0] = (char *)cli_prog_name(cmd, argv[0]);
	if (!klips_parse(cmd, argc, argv, read_key, &kc, &req, &msg)) {
		put_all(stdout, msg.out, strlen(msg.out));
		put_all(stderr, msg.err, strlen(msg.err));
		code = msg.exit_code;
	} else {
		put_all(stdout, msg.out, strlen(msg.out));
		if (req.op == KLIPS_LIST)
			code = ask(argv[0], control, list_request(cmd), true);
		else
			code = change(&req, control, argc, argv, kc.nread);
	}
	klips_req_wipe(&req);
	argv[0] = argv0;
	return code;
}

int look_cli_run(const char *control, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("Usage: ipsec look\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("%s, spigrpd %s\n", argv[0], PACKAGE_VERSION);
		return 0;
	}
	return ask(cli_word_ok(argv[0]) ? argv[0] : "look", control, "look", true);
}
