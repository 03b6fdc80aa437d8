/* look.c: the `ipsec look` text (look.h). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "look.h"

/* A line of a text: not NUL-terminated, without its '\n'. */
struct line {
	const char *s;
	size_t len;
};

/* The lines of @text appended to *@v (*@n of them).  0 or -ENOMEM. */
static int split_lines(const char *text, struct line **v, size_t *n)
{
	const char *p, *nl;
	size_t cap = *n, more = 0;
	struct line *nv;

	if (!text)
		return 0;
	for (p = text; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		more++;
		if (!nl)
			break;
	}
	if (!more)
		return 0;
	nv = realloc(*v, (cap + more) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	for (p = text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		nv[(*n)++] = (struct line){ p, nl ? (size_t)(nl - p) : strlen(p) };
		if (!nl)
			break;
	}
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

#define NFIELDS 6

/* awk's default field splitting of @l: the first NFIELDS fields into @f
 * (missing ones empty). */
static void fields(const struct line *l, struct line f[NFIELDS])
{
	const char *p = l->s, *end = l->s + l->len;
	int i;

	for (i = 0; i < NFIELDS; i++) {
		while (p < end && is_blank(*p))
			p++;
		f[i].s = p;
		while (p < end && !is_blank(*p))
			p++;
		f[i].len = (size_t)(p - f[i].s);
	}
}

static bool field_is(const struct line *f, const char *s)
{
	return f->len == strlen(s) && !memcmp(f->s, s, f->len);
}

static bool line_eq(const struct line *a, const struct line *b)
{
	return a->len == b->len && !memcmp(a->s, b->s, a->len);
}

/* The script's pad(): split @a at its dots, right-justify the parts in
 * 3, 3, 3, 3, 3 and 4 columns (its sub("/:", "..") first: a literal
 * "/:" becomes "..", which no address has). */
static void pad(struct strbuf *b, const struct line *a)
{
	static const int width[NFIELDS] = { 3, 3, 3, 3, 3, 4 };
	char tmp[256];
	const char *p, *dot, *end, *hit;
	size_t len = a->len < sizeof(tmp) ? a->len : sizeof(tmp) - 1;
	int i;

	memcpy(tmp, a->s, len);
	tmp[len] = '\0';
	hit = strstr(tmp, "/:");
	if (hit)
		memcpy(tmp + (hit - tmp), "..", 2);
	p = tmp;
	end = tmp + len;
	for (i = 0; i < NFIELDS; i++) {
		size_t n = 0;

		if (p && p <= end && len) {
			dot = memchr(p, '.', (size_t)(end - p));
			n = dot ? (size_t)(dot - p) : (size_t)(end - p);
			strbuf_printf(b, "%*.*s", width[i], (int)n, p);
			p = dot ? dot + 1 : NULL;
		} else {
			strbuf_printf(b, "%*s", width[i], "");
		}
	}
}

/* The lines stored under their first field, for the eroutes' lookups. */
struct groups {
	const struct line *rec; /* all records: spigrp, then eroute */
	struct hidx idx;        /* hash of the first field -> record index */
};

/* The record stored under @key before record @before (the latest such),
 * or NULL. */
static const struct line *group_of(const struct groups *g, const struct line *key, size_t before)
{
	uint64_t h = hash_bytes(HASH_INIT, key->s, key->len);
	const struct line *best = NULL;
	size_t pos = 0, val, bestval = 0;
	struct line f[NFIELDS];

	while (hidx_next(&g->idx, h, &pos, &val)) {
		if (val >= before || (best && val < bestval))
			continue;
		fields(&g->rec[val], f);
		if (line_eq(&f[0], key)) {
			best = &g->rec[val];
			bestval = val;
		}
	}
	return best;
}

/* "KEY~LINE" of an eroute record @r (fields @f, @counted: with a count
 * first), malloc'ed into *@out; NULL when @r is no eroute.  0 or -ENOMEM. */
static int eroute_line(const struct groups *g, size_t r, bool counted, const struct line *f,
		       char **out)
{
	const struct line *src = &f[counted ? 1 : 0], *dst = &f[counted ? 3 : 2];
	const struct line *said = &f[counted ? 5 : 4], *grp = group_of(g, said, r);
	struct strbuf b = STRBUF_INIT;

	if (!grp)
		grp = said;
	pad(&b, src);
	pad(&b, dst);
	strbuf_printf(&b, "~%-18.*s -> %-18.*s => %.*s", (int)src->len, src->s, (int)dst->len, dst->s,
		      (int)grp->len, grp->s);
	if (counted)
		strbuf_printf(&b, " (%.*s)", (int)f[0].len, f[0].s);
	*out = strbuf_take(&b, NULL);
	return *out ? 0 : -ENOMEM;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Part 2: the eroutes joined with their groups, sorted. */
static int render_eroutes(const char *spigrp, const char *eroute, struct strbuf *out)
{
	struct groups g = { NULL, { 0 } };
	struct line *rec = NULL, f[NFIELDS];
	size_t nrec = 0, nout = 0, i;
	char **lines = NULL;
	int ret;

	ret = split_lines(spigrp, &rec, &nrec);
	if (!ret)
		ret = split_lines(eroute, &rec, &nrec);
	if (!ret)
		ret = hidx_init(&g.idx, nrec);
	if (!ret && nrec && !(lines = calloc(nrec, sizeof(*lines))))
		ret = -ENOMEM;
	g.rec = rec;
	for (i = 0; !ret && i < nrec; i++) {
		fields(&rec[i], f);
		if (field_is(&f[1], "->") || field_is(&f[2], "->"))
			continue;
		ret = hidx_put(&g.idx, hash_bytes(HASH_INIT, f[0].s, f[0].len), i);
	}
	for (i = 0; !ret && i < nrec; i++) {
		fields(&rec[i], f);
		if (field_is(&f[1], "->"))
			ret = eroute_line(&g, i, false, f, &lines[nout++]);
		else if (field_is(&f[2], "->"))
			ret = eroute_line(&g, i, true, f, &lines[nout++]);
	}
	if (!ret && nout) {
		qsort(lines, nout, sizeof(*lines), cmp_str);
		for (i = 0; i < nout; i++) {
			strbuf_puts(out, strchr(lines[i], '~') + 1);
			strbuf_puts(out, "\n");
		}
	}
	for (i = 0; i < nout; i++)
		free(lines[i]);
	free(lines);
	free(rec);
	hidx_free(&g.idx);
	return ret;
}

static int cmp_line(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return c ? c : x->len < y->len ? -1 : x->len > y->len;
}

/* Part 3: the lines of @text sorted bytewise. */
static int render_sorted(const char *text, struct strbuf *out)
{
	struct line *v = NULL;
	size_t n = 0, i;

	if (split_lines(text, &v, &n) < 0)
		return -ENOMEM;
	if (n)
		qsort(v, n, sizeof(*v), cmp_line);
	for (i = 0; i < n; i++) {
		strbuf_add(out, v[i].s, v[i].len);
		strbuf_puts(out, "\n");
	}
	free(v);
	return 0;
}

/* date(1)'s default format in the C locale: "%a %b %e %H:%M:%S %Z %Y",
 * with the names spelt here so that no locale changes them. */
static void render_date(const struct tm *t, struct strbuf *out)
{
	static const char wday[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	strbuf_printf(out, "%s %s %2d %02d:%02d:%02d %s %d",
		      t->tm_wday >= 0 && t->tm_wday < 7 ? wday[t->tm_wday] : "???",
		      t->tm_mon >= 0 && t->tm_mon < 12 ? mon[t->tm_mon] : "???", t->tm_mday,
		      t->tm_hour, t->tm_min, t->tm_sec, t->tm_zone ? t->tm_zone : "",
		      t->tm_year + 1900);
}

int look_render(const struct look_in *in, struct strbuf *out)
{
	int ret;

	strbuf_printf(out, "%s ", in->host ? in->host : "");
	render_date(in->when, out);
	strbuf_puts(out, "\n");
	ret = render_eroutes(in->spigrp, in->eroute, out);
	if (!ret)
		ret = render_sorted(in->spi, out);
	if (!ret) {
		strbuf_puts(out, "ROUTING TABLES\n");
		strbuf_puts(out, in->routes ? in->routes : "");
		if (in->routes && in->routes[0] && in->routes[strlen(in->routes) - 1] != '\n')
			strbuf_puts(out, "\n");
	}
	return ret ? ret : out->oom ? -ENOMEM : 0;
}
