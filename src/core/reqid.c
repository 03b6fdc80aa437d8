/* reqid.c: reqids per group name and the reqids file (reqid.h).
 *
 * The used reqids are a bitmap over the band; the next free one is searched
 * from where the last search stopped, so assigning n names costs
 * O(n + band), not O(n^2).  Names are found through one hash index.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "reqid.h"
#include "sadb.h"
#include "statefile.h"
#include "strbuf.h"

#define REQID_COUNT_MAX (1u << 24)

struct reqid_ent {
	uint32_t reqid;
	char *name;
};

struct reqid_tab {
	uint32_t base, count;
	struct reqid_ent *e;
	size_t n, cap;
	struct hidx names; /* entries by name */
	uint8_t *used;     /* bitmap over the band */
};

static bool in_band(const struct reqid_tab *t, unsigned long r)
{
	return r >= t->base && r - t->base < t->count;
}

static bool is_used(const struct reqid_tab *t, uint32_t r)
{
	uint32_t i = r - t->base;

	return t->used[i / 8] & (1u << (i % 8));
}

static const struct reqid_ent *find(const struct reqid_tab *t, const char *name)
{
	size_t pos = 0, k;

	while (hidx_next(&t->names, hash_str(HASH_INIT, name), &pos, &k))
		if (strcmp(t->e[k].name, name) == 0)
			return &t->e[k];
	return NULL;
}

static int add(struct reqid_tab *t, uint32_t r, const char *name, size_t len)
{
	uint32_t i = r - t->base;
	char *copy;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct reqid_ent *e = realloc(t->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		t->e = e;
		t->cap = cap;
	}
	copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	if (hidx_put(&t->names, hash_str(HASH_INIT, copy), t->n) < 0) {
		free(copy);
		return -ENOMEM;
	}
	t->e[t->n].reqid = r;
	t->e[t->n].name = copy;
	t->n++;
	t->used[i / 8] |= (uint8_t)(1u << (i % 8));
	return 0;
}

/* Parse one line; false when it is to be ignored. */
static bool parse_line(const struct reqid_tab *t, char *line, unsigned long *r, char **name,
		       size_t *len)
{
	char *p = line, *end;
	bool hex;
	size_t l;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return false; /* also '#', empty lines */
	hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	errno = 0;
	*r = hex ? strtoul(p + 2, &end, 16) : strtoul(p, &end, 10);
	if (errno || end == (hex ? p + 2 : p))
		return false;
	if (*end != ' ' && *end != '\t')
		return false;
	while (*end == ' ' || *end == '\t')
		end++;
	l = strlen(end);
	while (l && strchr("\n\r \t", end[l - 1]))
		l--;
	if (!l || !in_band(t, *r))
		return false;
	*name = end;
	*len = l;
	return true;
}

static int load(struct reqid_tab *t, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &cap, f) >= 0) {
		unsigned long r;
		char *name;
		size_t len;

		if (!parse_line(t, line, &r, &name, &len))
			continue;
		name[len] = '\0';
		if (is_used(t, (uint32_t)r) || find(t, name))
			continue;
		rc = add(t, (uint32_t)r, name, len);
		if (rc < 0)
			break;
	}
	if (!rc && ferror(f))
		rc = -EIO;
	free(line);
	fclose(f);
	return rc;
}

static int ent_cmp(const void *pa, const void *pb)
{
	const struct reqid_ent *a = pa, *b = pb;

	return a->reqid < b->reqid ? -1 : a->reqid > b->reqid;
}

/* A name the daemon makes (a group named by its first SAID, as the runtime
 * groups of the KLIPS commands and the implicit groups are, or a runtime
 * shunt "eroute:..."), rather than a [group] name of the config. */
static bool made_name(const char *name)
{
	return strchr(name, '@') || !strncmp(name, "eroute:", 7);
}

/* Lines of made names no group of @db has are dropped: such names come
 * and go with `spi`, `spigrp` and `eroute` (their groups are removed from
 * the kernel before a new reqid is handed out), so the file stays bounded. */
static int save(struct reqid_tab *t, const struct sadb *db, const char *path)
{
	struct strbuf b = STRBUF_INIT;
	size_t i, len;
	char *text;
	int rc;

	qsort(t->e, t->n, sizeof(*t->e), ent_cmp); /* the index is not used after this */
	strbuf_puts(&b, "# spigrpd: XFRM reqid per group name (REQID NAME); written by spigrpd\n");
	for (i = 0; i < t->n; i++)
		if (!made_name(t->e[i].name) || sadb_find_group(db, t->e[i].name))
			strbuf_printf(&b, "0x%08x %s\n", t->e[i].reqid, t->e[i].name);
	text = strbuf_take(&b, &len);
	if (!text)
		return -ENOMEM;
	rc = statefile_write(path, text, len, 0600);
	free(text);
	return rc;
}

/* The next free reqid from *@next on, or 0 when the band is full. */
static uint32_t next_free(const struct reqid_tab *t, uint32_t *next)
{
	while (*next < t->count && is_used(t, t->base + *next))
		(*next)++;
	return *next < t->count ? t->base + *next : 0;
}

int reqid_assign(struct sadb *db, const char *path, uint32_t base, uint32_t count)
{
	struct reqid_tab t = { .base = base, .count = count };
	bool changed = false, can_write = true;
	uint32_t next = 0;
	int rc = 0, r;
	size_t i;

	if (!base || !count || count > REQID_COUNT_MAX || base > UINT32_MAX - (count - 1))
		return -EINVAL;
	t.used = calloc((count + 7) / 8, 1);
	if (!t.used || hidx_init(&t.names, db->ngroup) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (path && (rc = load(&t, path)) < 0)
		can_write = false; /* never overwrite what we could not read */
	for (i = 0; i < db->ngroup; i++) {
		struct sadb_group *g = db->group[i];
		const struct reqid_ent *e = find(&t, g->name);

		if (e) {
			g->reqid = e->reqid;
			continue;
		}
		if (!in_band(&t, g->reqid) || is_used(&t, g->reqid))
			g->reqid = next_free(&t, &next);
		if (!g->reqid) {
			if (!rc)
				rc = -ENOSPC;
			continue;
		}
		r = add(&t, g->reqid, g->name, strlen(g->name));
		if (r < 0) {
			if (!rc)
				rc = r;
			continue;
		}
		changed = true;
	}
	/* a made name no group has any more: the file drops its line now */
	for (i = 0; i < t.n && !changed; i++)
		changed = made_name(t.e[i].name) && !sadb_find_group(db, t.e[i].name);
	if (path && changed && can_write) {
		r = save(&t, db, path);
		if (!rc)
			rc = r;
	}
out:
	for (i = 0; i < t.n; i++)
		free(t.e[i].name);
	free(t.e);
	hidx_free(&t.names);
	free(t.used);
	return rc;
}
