/* spigrp.c: the `spigrp` command, and the entry point of the KLIPS
 * commands that share its binary.
 *
 * One binary, dispatched by the last component of argv[0]: `spi`,
 * `eroute` and `look` run the KLIPS commands (klips_cli.h) -- the names
 * under which `make install` links it into $(libexecdir)/ipsec/, where
 * libreswan's `ipsec` wrapper runs them; anything else is `spigrp`.
 * `spigrp spi ...`, `spigrp eroute ...`, `spigrp look` and `spigrp spigrp
 * ...` (the KLIPS spigrp alone, none of the options below) reach them
 * without libreswan.
 *
 * `spigrp` with no arguments prints the SA groups as ipsec_spigrp shows
 * them, asking the daemon over its control socket (so it works from any
 * mount namespace).  --status shows placement, state and counters per
 * group, --json the same as JSON.  --set-label NAME --reqid N and
 * --del-label --reqid N name a kernel group spigrpd does not own
 * (strongSwan's updown hook, contrib/strongswan/); the daemon keeps the
 * name, the kernel is not touched.  The KLIPS run-time grouping forms
 * ([--debug] [--label L] then `--said SA...` or `inet DST SPI PROTO ...`)
 * take the rest of the line and go to the daemon as `spigrp PROG ...`.
 * The socket: --control PATH, else $SPIGRPD_CONTROL, else the default.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "ctl.h"
#include "klips_cli.h"
#include "labels.h"

static const char *prog = "spigrp";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--control PATH]               print the SA groups (ipsec_spigrp)\n"
		"       %s [--control PATH] [--debug] [--label LABEL] --said SA [SA...]\n"
		"       %s [--control PATH] [--debug] [--label LABEL] inet|inet6 DST SPI PROTO ...\n"
		"                                         group SAs at run time (KLIPS), 1 SA: ungroup\n"
		"       %s [--control PATH] --status [--json]\n"
		"                                         placement, state and counters per group\n"
		"       %s [--control PATH] --set-label NAME --reqid N\n"
		"       %s [--control PATH] --del-label --reqid N\n"
		"                                         name a foreign kernel group (or not)\n"
		"       %s spi|eroute|spigrp ARG...         the KLIPS commands (`spi --help`)\n"
		"       %s look                            KLIPS's `ipsec look`\n"
		"       %s -h | --help | -V | --version\n"
		"\n"
		"  --control PATH  spigrpd's control socket (default $%s, else %s)\n"
		"  --status        one block per group: placement and its reason, state, counters\n"
		"  --json          the status as JSON\n"
		"  --set-label NAME  show NAME for the kernel group of reqid N (not one of\n"
		"                  spigrpd's own); printable ASCII, no space, quote or backslash,\n"
		"                  at most 63 bytes, not starting with '-' (root or control-group)\n"
		"  --del-label     remove the name of reqid N\n"
		"  --reqid N       the group's XFRM reqid, decimal or 0x hex\n",
		prog, prog, prog, prog, prog, prog, prog, prog, prog, CLI_CONTROL_ENV,
		CFG_DEFAULT_CONTROL);
}

/* A usage error: @what, the usage, exit status 1. */
static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s\n", prog, what, arg ? " " : "", arg ? arg : "");
	usage(stderr);
	return 1;
}

/* Write @len bytes to stdout; 0 or -errno. */
static int put_all(const char *data, size_t len)
{
	if (len && fwrite(data, 1, len, stdout) != len)
		return -errno;
	if (fflush(stdout) != 0)
		return -errno;
	return 0;
}

/* The labels' options as given (NULL / false: not given). */
struct label_opts {
	const char *set;   /* --set-label NAME */
	bool del;          /* --del-label */
	const char *reqid; /* --reqid N */
};

/*
 * The request for the label options @lo into @buf (@size bytes), checked
 * here first so that a bad name or number is reported without asking the
 * daemon.  Return: 1 with @buf filled, 0 when no label option was given,
 * or -1 after printing why (a usage error).
 */
static int label_request(const struct label_opts *lo, bool other, char *buf, size_t size)
{
	struct reason why;
	uint32_t reqid;

	if (!lo->set && !lo->del && !lo->reqid)
		return 0;
	if (lo->set && lo->del)
		return usage_error("--set-label and --del-label do not go together", NULL), -1;
	if (!lo->set && !lo->del)
		return usage_error("--reqid goes with --set-label or --del-label", NULL), -1;
	if (!lo->reqid)
		return usage_error(lo->set ? "--set-label needs --reqid N" : "--del-label needs --reqid N",
				   NULL), -1;
	if (other)
		return usage_error("--set-label and --del-label go alone", NULL), -1;
	if (label_parse_reqid(lo->reqid, &reqid, &why) < 0 ||
	    (lo->set && label_check(lo->set, &why) < 0)) {
		fprintf(stderr, "%s: %s\n", prog, why.text);
		return -1;
	}
	if (lo->set)
		snprintf(buf, size, "set-label %s --reqid %u", lo->set, reqid);
	else
		snprintf(buf, size, "del-label --reqid %u", reqid);
	return 1;
}

/* The value of option argv[*@i] (also given as "--opt=VALUE"), or NULL
 * after saying it is missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (!strncmp(argv[*i], opt, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (++*i < argc)
		return argv[*i];
	fprintf(stderr, "%s: %s needs a value\n", prog, opt);
	return NULL;
}

/* Is argv @a option @opt, alone or as "--opt=..."? */
static bool is_opt(const char *a, const char *opt)
{
	size_t n = strlen(opt);

	return !strncmp(a, opt, n) && (a[n] == '\0' || a[n] == '=');
}

/* The KLIPS spigrp form at argv[@i...]: run with argv[0] as its name. */
static int klips_tail(const char *control, int argc, char **argv, int i)
{
	char **kargv = calloc((size_t)(argc - i + 2), sizeof(*kargv));
	int code;

	if (!kargv) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	kargv[0] = argv[0];
	memcpy(kargv + 1, argv + i, (size_t)(argc - i) * sizeof(*kargv));
	code = klips_cli_run(KLIPS_SPIGRP, control, argc - i + 1, kargv);
	free(kargv);
	return code;
}

/* `spigrp spi|eroute|spigrp|look ARG...`, or the binary run as one of
 * those names: @argv[0] is the command's name. */
static int subcommand(const char *control, int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');

	name = name ? name + 1 : argv[0];
	if (!strcmp(name, "spi"))
		return klips_cli_run(KLIPS_SPI, control, argc, argv);
	if (!strcmp(name, "eroute"))
		return klips_cli_run(KLIPS_EROUTE, control, argc, argv);
	if (!strcmp(name, "look"))
		return look_cli_run(control, argc, argv);
	return klips_cli_run(KLIPS_SPIGRP, control, argc, argv);
}

static int spigrp_main(int argc, char **argv)
{
	const char *control = cli_control();
	bool status = false, json = false;
	struct label_opts lo = { NULL, false, NULL };
	char labelreq[128];
	const char *req;
	char *body = NULL;
	size_t bodylen = 0;
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("spigrp %s\n", PACKAGE_VERSION);
			return 0;
		} else if (!strcmp(a, "--status")) {
			status = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--control")) {
			if (++i == argc) {
				fprintf(stderr, "%s: --control needs a path\n", prog);
				return 1;
			}
			control = argv[i];
		} else if (!strncmp(a, "--control=", 10)) {
			control = a + 10;
		} else if (is_opt(a, "--set-label")) {
			if (!(lo.set = opt_value(argc, argv, &i, "--set-label")))
				return 1;
		} else if (!strcmp(a, "--del-label")) {
			lo.del = true;
		} else if (is_opt(a, "--reqid")) {
			if (!(lo.reqid = opt_value(argc, argv, &i, "--reqid")))
				return 1;
		} else if (!strcmp(a, "--said") || !strcmp(a, "--label") ||
			   !strcmp(a, "--debug") || !strcmp(a, "inet") || !strcmp(a, "inet6")) {
			/* the KLIPS forms: they take the rest of the line */
			if (status || json)
				return usage_error("--status and --json do not go with", a);
			if (lo.set || lo.del || lo.reqid)
				return usage_error("the label options do not go with", a);
			return klips_tail(control, argc, argv, i);
		} else if (!strcmp(a, "spi") || !strcmp(a, "eroute") || !strcmp(a, "spigrp") ||
			   !strcmp(a, "look")) {
			if (status || json || lo.set || lo.del || lo.reqid)
				return usage_error("only --control goes before", a);
			return subcommand(control, argc - i, argv + i);
		} else if (a[0] == '-') {
			return usage_error("unknown option", a);
		} else {
			return usage_error("unexpected argument", a);
		}
	}
	if (!control[0]) {
		fprintf(stderr, "%s: --control needs a path\n", prog);
		return 1;
	}

	r = label_request(&lo, status || json, labelreq, sizeof(labelreq));
	if (r < 0)
		return 1;
	/* --json alone means the status as JSON: the view has no JSON form. */
	if (r > 0)
		req = labelreq;
	else if (json)
		req = "status-json";
	else if (status)
		req = "status";
	else
		req = "view";

	r = ctl_request(control, req, &body, &bodylen);
	if (r < 0) {
		fprintf(stderr, "%s: cannot reach spigrpd at %s: %s\n", prog, control,
			strerror(-r));
		return 1;
	}
	if (r > 0) {
		if (bodylen)
			fwrite(body, 1, bodylen, stderr);
		fprintf(stderr, "%s: spigrpd refused \"%s\": %s\n", prog, req, strerror(r));
		free(body);
		return 1;
	}
	r = put_all(body, bodylen);
	free(body);
	if (r < 0) {
		fprintf(stderr, "%s: writing the answer: %s\n", prog, strerror(-r));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;

	base = base ? base + 1 : argc > 0 ? argv[0] : "";
	if (!strcmp(base, "spi") || !strcmp(base, "eroute") || !strcmp(base, "look"))
		return subcommand(cli_control(), argc, argv);
	return spigrp_main(argc, argv);
}
