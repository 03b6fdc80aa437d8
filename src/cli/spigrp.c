/* spigrp.c: the `spigrp` command (`ipsec spigrp`).
 *
 * With no arguments it prints the SA groups as ipsec_spigrp shows them,
 * asking the daemon over its control socket (so it works from any mount
 * namespace).  --status shows placement, state and counters per group,
 * --json the same as JSON.  Grouping SAs at run time (the KLIPS forms
 * `--said SA...` and `inet DST SPI PROTO ...`) is not supported: those
 * forms are recognised and refused with a message saying so; any other
 * argument is a usage error.
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

static const char *prog = "spigrp";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--control PATH]               print the SA groups (ipsec_spigrp)\n"
		"       %s [--control PATH] --status [--json]\n"
		"                                         placement, state and counters per group\n"
		"       %s -h | --help | -V | --version\n"
		"\n"
		"  --control PATH  spigrpd's control socket (default %s)\n"
		"  --status        one block per group: placement and its reason, state, counters\n"
		"  --json          the status as JSON\n"
		"\n"
		"Grouping SAs at run time ([--debug] [--label LABEL] --said SA1 [SA2 [SA3 [SA4]]],\n"
		"or inet|inet6 DST SPI PROTO ...) is not supported: define groups in\n"
		"spigrpd.conf.\n",
		prog, prog, prog, CFG_DEFAULT_CONTROL);
}

/* A usage error: @what, the usage, exit status 1. */
static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s\n", prog, what, arg ? " " : "", arg ? arg : "");
	usage(stderr);
	return 1;
}

/*
 * The KLIPS command's run-time forms, from argv[@i] on: an optional
 * "--debug", an optional "--label LABEL", then "--said" and 1 to 4 SAs, or
 * 1 to 4 quadruples "AF DST SPI PROTO" with AF inet or inet6.  Return 1 for
 * a grouping form, 0 for the prefixes alone (KLIPS then lists the groups),
 * -1 for anything else.
 */
static int klips_form(int argc, char **argv, int i)
{
	int n, q;

	if (i < argc && !strcmp(argv[i], "--debug"))
		i++;
	if (i < argc && !strcmp(argv[i], "--label")) {
		if (i + 1 == argc)
			return -1;
		i += 2;
	}
	n = argc - i;
	if (n == 0)
		return 0;
	if (!strcmp(argv[i], "--said"))
		return n >= 2 && n <= 5 ? 1 : -1;
	if (n % 4 != 0 || n > 16)
		return -1;
	for (q = i; q < argc; q += 4)
		if (strcmp(argv[q], "inet") != 0 && strcmp(argv[q], "inet6") != 0)
			return -1;
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

int main(int argc, char **argv)
{
	const char *control = CFG_DEFAULT_CONTROL;
	bool status = false, json = false;
	int klips = -1; /* klips_form() of the arguments, -1: none */
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
		} else if (!strcmp(a, "--said") || !strcmp(a, "--label") ||
			   !strcmp(a, "--debug") || !strcmp(a, "inet") || !strcmp(a, "inet6")) {
			/* the KLIPS forms: they take the rest of the line */
			klips = klips_form(argc, argv, i);
			if (klips < 0)
				return usage_error("not a run-time grouping form:", a);
			if (klips > 0 && (status || json))
				return usage_error("--status and --json do not go with", a);
			if (klips > 0) {
				fprintf(stderr,
					"%s: run-time grouping is not supported: define the group in spigrpd.conf\n",
					prog);
				return 1;
			}
			break; /* [--debug] [--label L] alone: the listing */
		} else if (a[0] == '-') {
			return usage_error("unknown option", a);
		} else {
			return usage_error("unexpected argument", a);
		}
	}
	if (klips == 0 && (status || json))
		return usage_error("--debug and --label do not go with --status or --json", NULL);
	if (!control[0]) {
		fprintf(stderr, "%s: --control needs a path\n", prog);
		return 1;
	}

	/* --json alone means the status as JSON: the view has no JSON form. */
	if (json)
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
