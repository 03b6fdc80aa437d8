/* look.h: the text of KLIPS's `ipsec look` (spec/klips-formats.md §4.6),
 * built from the texts of the view's files.
 *
 * Pure: no I/O, no clock, no locale; the caller reads the texts (the
 * daemon renders them), the host name, the time and our route table's
 * lines, and sends or prints the result.  The output is what the look
 * script of FreeS/WAN and Openswan (up to 2.6.x) printed for the parts
 * spigrpd has:
 *
 *   1. "HOST DATE", DATE as date(1) prints it in the C locale
 *      ("Fri Nov 29 10:12:14 GMT 2002");
 *   2. one line per eroute, "%-18s -> %-18s => GROUP (COUNT)": GROUP is
 *      the whole ipsec_spigrp line whose first SAID is the eroute's SAID
 *      (its trailing space makes the double space before "(COUNT)"), or
 *      the SAID alone when no group line starts with it; sorted as the
 *      script's awk and sort(1) did (below);
 *   3. the ipsec_spi lines, sorted bytewise (sort(1) with LC_ALL=C);
 *   4. "ROUTING TABLES", then the route lines as given.
 *
 * The script's ipsec_tncfg line (KLIPS's ipsecN devices) and its
 * iptables sections have no counterpart and are left out.
 *
 * The eroute join follows the script's awk program exactly: the lines of
 * ipsec_spigrp, then those of ipsec_eroute, are read as one stream split
 * into blank-separated fields; a line whose 3rd field is "->" is an eroute
 * (fields: count, src, "->", dst, "=>", SAID), one whose 2nd field is
 * "->" an eroute without a count; any other line is stored under its
 * first field (a later line replaces an earlier one), and an eroute takes
 * the line stored under its SAID so far.  The sort key of an eroute is
 * pad(src) pad(dst), where pad() splits an address at its dots and
 * right-justifies the first five parts in 3 columns and the sixth in 4
 * (with spaces, as mawk and gawk pad "%03s"); lines are ordered bytewise
 * by "KEY~LINE".
 */
#ifndef SPIGRP_LOOK_H
#define SPIGRP_LOOK_H

#include <time.h>

#include "strbuf.h"

struct look_in {
	const char *host;      /* host name */
	const struct tm *when; /* local time (localtime_r()); tm_zone names the zone */
	const char *spigrp;    /* the ipsec_spigrp text */
	const char *eroute;    /* the ipsec_eroute text */
	const char *spi;       /* the ipsec_spi text */
	const char *routes;    /* lines of our route table (route_list()), or "" */
};

/**
 * look_render() - append the `ipsec look` text of @in to @out.  Each text
 * is a sequence of lines ending in '\n' (a last line without one counts
 * as a line); NULL is taken as "".
 * Return: 0, or -ENOMEM (@out may hold part of the text then).
 */
int look_render(const struct look_in *in, struct strbuf *out);

#endif
