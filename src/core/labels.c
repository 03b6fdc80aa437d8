/* labels.c: the label table (labels.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kview.h"
#include "labels.h"

_Static_assert(LABEL_SIZE == KV_LABEL, "a label must fit kv_sa.label and kv_group.label");

static int label_byte_ok(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\'' && ch != '`' && ch != '\\';
}

int label_check(const char *name, struct reason *why)
{
	size_t n = strnlen(name, LABEL_SIZE);

	if (n == 0) {
		reason_set(why, "empty label");
		return -EINVAL;
	}
	if (n == LABEL_SIZE) {
		reason_set(why, "label longer than %d bytes", LABEL_SIZE - 1);
		return -EINVAL;
	}
	if (name[0] == '-') {
		reason_set(why, "a label does not start with '-'");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (label_byte_ok(ch))
			continue;
		if (ch > 0x20 && ch < 0x7f)
			reason_set(why, "'%c' (byte %zu) is not allowed in a label", ch, i + 1);
		else
			reason_set(why, "byte %zu (0x%02x) is not allowed in a label: printable "
				   "ASCII without spaces only", i + 1, ch);
		return -EINVAL;
	}
	return 0;
}

int label_parse_reqid(const char *s, uint32_t *reqid, struct reason *why)
{
	unsigned long long v;
	char *end;

	/* strtoull would take a sign and leading blanks: digits only */
	if (s[0] < '0' || s[0] > '9')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno || *end || end == s || v == 0 || v > UINT32_MAX)
		goto bad;
	*reqid = (uint32_t)v;
	return 0;
bad:
	reason_set(why, "bad reqid \"%.32s\": a number 1 .. 4294967295 (decimal or 0x hex)", s);
	return -EINVAL;
}

/* The index of @reqid in @t, or where it would go (then *@found false). */
static size_t labels_find(const struct labels *t, uint32_t reqid, bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->e[mid].reqid < reqid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && t->e[lo].reqid == reqid;
	return lo;
}

int labels_set(struct labels *t, uint32_t reqid, const char *name, struct reason *why)
{
	bool found;
	size_t at;
	int r;

	r = label_check(name, why);
	if (r < 0)
		return r;
	if (reqid == 0) {
		reason_set(why, "reqid 0 names no group");
		return -EINVAL;
	}
	at = labels_find(t, reqid, &found);
	if (found) {
		strcpy(t->e[at].name, name);
		return 1;
	}
	if (t->n == LABELS_MAX) {
		reason_set(why, "%d labels already: remove some first", LABELS_MAX);
		return -ENOSPC;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct label *e = reallocarray(t->e, cap, sizeof(*e));

		if (!e)
			return -ENOMEM;
		t->e = e;
		t->cap = cap;
	}
	memmove(&t->e[at + 1], &t->e[at], (t->n - at) * sizeof(*t->e));
	t->e[at].reqid = reqid;
	strcpy(t->e[at].name, name);
	t->n++;
	return 0;
}

int labels_del(struct labels *t, uint32_t reqid)
{
	bool found;
	size_t at = labels_find(t, reqid, &found);

	if (!found)
		return -ENOENT;
	memmove(&t->e[at], &t->e[at + 1], (t->n - at - 1) * sizeof(*t->e));
	t->n--;
	return 0;
}

const char *labels_get(const struct labels *t, uint32_t reqid)
{
	bool found;
	size_t at;

	if (!t)
		return NULL;
	at = labels_find(t, reqid, &found);
	return found ? t->e[at].name : NULL;
}

void labels_fill(const struct labels *t, struct kview *v, size_t sa_from, size_t grp_from)
{
	const char *name;

	if (!t || !t->n)
		return;
	for (size_t i = sa_from; i < v->nsa; i++) {
		struct kv_sa *sa = &v->sa[i];

		if (!sa->ours && !sa->label[0] && (name = labels_get(t, sa->reqid)))
			strcpy(sa->label, name);
	}
	for (size_t i = grp_from; i < v->ngrp; i++) {
		struct kv_group *g = &v->grp[i];

		if (g->ours || g->label[0])
			continue;
		for (unsigned k = 0; k < g->nsa && k < KV_MAX_GROUP; k++) {
			if (g->sa[k] < v->nsa && (name = labels_get(t, v->sa[g->sa[k]].reqid))) {
				strcpy(g->label, name);
				break;
			}
		}
	}
}

void labels_clear(struct labels *t)
{
	if (!t)
		return;
	free(t->e);
	t->e = NULL;
	t->n = t->cap = 0;
}
