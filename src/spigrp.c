/* spigrp.c: the `spigrp` command (`ipsec spigrp`).
 *
 * With no arguments it prints the SA groups as ipsec_spigrp shows them,
 * asking the daemon over its control socket (so it works from any mount
 * namespace).  --status shows placement, state and counters per group,
 * --json the same as JSON.  Grouping SAs at run time (the KLIPS forms
 * `--said SA...` and `inet DST SPI PROTO ...`) is not supported yet.
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
		"       %s --help | --version\n"
		"\n"
		"  --control PATH  spigrpd's control socket (default %s)\n"
		"  --status        one block per group: placement and its reason, state, counters\n"
		"  --json          the status as JSON\n"
		"\n"
		"Grouping SAs at run time (--said SA1 [SA2 [SA3 [SA4]]], or\n"
		"af dst spi proto ...) is not supported yet: define groups in spigrpd.conf.\n",
		prog, prog, prog, CFG_DEFAULT_CONTROL);
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
	const char *req;
	char *body = NULL;
	size_t bodylen = 0;
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("spigrp (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
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
			   !strcmp(a, "--debug") || a[0] != '-') {
			/* the KLIPS grouping forms */
			fprintf(stderr,
				"%s: runtime grouping is not supported yet: define the group in spigrpd.conf\n",
				prog);
			return 1;
		} else {
			fprintf(stderr, "%s: unknown option %s (see %s --help)\n", prog, a, prog);
			return 1;
		}
	}
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
