/* nftdrive.c: load our nftables table (src/kern/nft.c) from the command
 * line, for the netns tier (tests/netns/t-15-nft-table.sh).
 *
 *   nftdrive TUN GROUP...   replace the table with these groups
 *   nftdrive TUN            no group: remove the table
 *   nftdrive TUN --remove   nft_remove()
 *   nftdrive TUN --print GROUP...   print the ruleset text, touch nothing
 *
 * GROUP is NAME=SRC[,SRC...]=DST[,DST...][=PROTO[=SPORT[=DPORT]]], with
 * numbers for PROTO and the ports.  Exit 0, 1 (refused: the reason on
 * stderr) or 2 (usage).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "nft.h"
#include "said.h"
#include "strbuf.h"

struct drv_group {
	struct nft_group g;
	struct ip_prefix src[CFG_MAX_TS], dst[CFG_MAX_TS];
};

static int parse_list(char *text, struct ip_prefix *p, unsigned *n)
{
	char err[128], *tok, *save = NULL;

	*n = 0;
	for (tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == CFG_MAX_TS || ip_prefix_parse(tok, &p[*n], err, sizeof(err)) < 0) {
			fprintf(stderr, "nftdrive: bad prefix list at \"%s\"\n", tok);
			return -1;
		}
		++*n;
	}
	return 0;
}

static int parse_group(char *arg, struct drv_group *d)
{
	char *f[6] = { 0 };
	unsigned nf = 0;

	for (char *p = arg; p && nf < 6; nf++) {
		f[nf] = p;
		p = strchr(p, '=');
		if (p)
			*p++ = '\0';
	}
	if (nf < 3) {
		fprintf(stderr, "nftdrive: want NAME=SRC=DST[=PROTO[=SPORT[=DPORT]]]\n");
		return -1;
	}
	memset(d, 0, sizeof(*d));
	d->g.name = f[0];
	if (parse_list(f[1], d->src, &d->g.nsrc_ts) < 0 ||
	    parse_list(f[2], d->dst, &d->g.ndst_ts) < 0)
		return -1;
	d->g.src_ts = d->src;
	d->g.dst_ts = d->dst;
	d->g.proto = f[3] ? (uint8_t)atoi(f[3]) : 0;
	d->g.sport = f[4] ? (uint16_t)atoi(f[4]) : 0;
	d->g.dport = f[5] ? (uint16_t)atoi(f[5]) : 0;
	return 0;
}

int main(int argc, char **argv)
{
	struct reason why = { "" };
	struct drv_group *d;
	struct nft_group *g;
	bool print = false;
	struct nft *n;
	int i, first = 2, ng, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: nftdrive TUN [--remove | [--print] GROUP...]\n");
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "--print")) {
		print = true;
		first = 3;
	}
	ng = argc - first;
	d = calloc((size_t)ng + 1, sizeof(*d));
	g = calloc((size_t)ng + 1, sizeof(*g));
	if (!d || !g)
		return 1;
	if (!(argc == 3 && !strcmp(argv[2], "--remove"))) {
		for (i = 0; i < ng; i++) {
			if (parse_group(argv[first + i], &d[i]) < 0)
				return 2;
			g[i] = d[i].g;
		}
	}
	if (print) {
		struct strbuf b = STRBUF_INIT;

		rc = nft_ruleset(&b, argv[1], g, (size_t)ng);
		if (rc == 0)
			fputs(b.s, stdout);
		strbuf_free(&b);
		return rc ? 1 : 0;
	}
	rc = nft_open(&n, argv[1], &why);
	if (rc == 0) {
		if (argc == 3 && !strcmp(argv[2], "--remove"))
			rc = nft_remove(n, &why);
		else
			rc = nft_set_groups(n, g, (size_t)ng, &why);
		nft_close(n);
	}
	free(d);
	free(g);
	if (rc) {
		fprintf(stderr, "nftdrive: %s (%s)\n", why.text, strerror(-rc));
		return 1;
	}
	return 0;
}
