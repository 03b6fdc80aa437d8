/* kseq.c: first sequence numbers and records of kernel SAs (kseq.h). */
#include "config.h"

#include <errno.h>

#include "kseq.h"
#include "seqstore.h"


bool kseq_counts(const struct sadb_group *g, unsigned k)
{
	const struct said *s = &g->sa[k]->cfg->said;

	return g->dir == SADB_DIR_OUT && (s->proto == SAID_PROTO_ESP || s->proto == SAID_PROTO_AH);
}

/* first - 1 + margin, saturated at the top of the space. */
static uint64_t upto(uint64_t first)
{
	uint64_t m = SEQSTORE_KERNEL_MARGIN;

	return first - 1 > UINT64_MAX - m ? UINT64_MAX : first - 1 + m;
}

int kseq_plan(struct seqstore *s, const struct sadb_group *g, uint64_t *first,
	      struct reason *why)
{
	unsigned k;
	int r;

	for (k = 0; k < g->nsa; k++) {
		const struct cfg_sa *c = g->sa[k]->cfg;
		char text[SAID_BUF];

		first[k] = 0;
		if (!kseq_counts(g, k))
			continue;
		if (!s) {
			reason_set(why, "the sequence number file could not be read");
			return -EIO;
		}
		first[k] = seqstore_first(s, &c->said);
		if (seqstore_room(first[k], c->esn) < (c->esn ? 1 : SEQSTORE_KERNEL_MARGIN)) {
			said_format(&c->said, '0', text, sizeof(text));
			reason_set(why, "%s: %s sequence numbers used up%s: rekey with new SPIs",
				   text, c->esn ? "64-bit" : "32-bit", c->esn ? "" : " (no ESN)");
			return -ENOSPC;
		}
		r = seqstore_set(s, &c->said, upto(first[k]));
		if (r < 0) {
			reason_set(why, "recording sequence numbers: error %d", r);
			return r;
		}
	}
	return 0;
}

int kseq_note(struct seqstore *s, const struct sadb_group *g, const struct sa_counters *ctr)
{
	unsigned k;
	int r, ret = 0;

	if (!s)
		return 0;
	for (k = 0; k < g->nsa; k++) {
		const struct cfg_sa *c = g->sa[k]->cfg;

		if (!kseq_counts(g, k) || !ctr[k].oseq)
			continue;
		r = seqstore_set(s, &c->said, upto(ctr[k].oseq + 1));
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

int kseq_settle(struct seqstore *s, const struct sadb_group *g, const uint64_t *last)
{
	unsigned k;
	int r, ret = 0;

	if (!s)
		return 0;
	for (k = 0; k < g->nsa; k++) {
		if (!kseq_counts(g, k) || last[k] == KSEQ_UNKNOWN)
			continue;
		r = seqstore_settle(s, &g->sa[k]->cfg->said, last[k]);
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}
