/* kview.c: the builder functions of kview.h.
 *
 * Three growable arrays of plain records, doubled as they fill.  The
 * records are copied in; nothing here interprets them (the renderers of
 * proc-emul/render.c do).  No I/O.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kview.h"

/* Make room for one more record of @size bytes in *@arr (@n used, @cap
 * allocated): 0 or -ENOMEM (then *@arr is unchanged). */
static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Copy @rec (@size bytes) to the end of *@arr; its index or -ENOMEM. */
static long append(void **arr, size_t *n, size_t *cap, const void *rec, size_t size)
{
	if (*n > (size_t)LONG_MAX - 1 || grow(arr, *n, cap, size))
		return -ENOMEM;
	memcpy((char *)*arr + *n * size, rec, size);
	return (long)(*n)++;
}

long kview_add_sa(struct kview *v, const struct kv_sa *sa)
{
	return append((void **)&v->sa, &v->nsa, &v->sa_cap, sa, sizeof(*sa));
}

long kview_add_group(struct kview *v, const struct kv_group *g)
{
	if (g->nsa > KV_MAX_GROUP)
		return -EINVAL;
	for (unsigned i = 0; i < g->nsa; i++)
		if (g->sa[i] >= v->nsa)
			return -EINVAL;
	return append((void **)&v->grp, &v->ngrp, &v->grp_cap, g, sizeof(*g));
}

long kview_add_eroute(struct kview *v, const struct kv_eroute *e)
{
	return append((void **)&v->er, &v->ner, &v->er_cap, e, sizeof(*e));
}

void kview_reset(struct kview *v)
{
	v->nsa = v->ngrp = v->ner = 0;
}

void kview_clear(struct kview *v)
{
	if (!v)
		return;
	free(v->sa);
	free(v->grp);
	free(v->er);
	memset(v, 0, sizeof(*v));
}
