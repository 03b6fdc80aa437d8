/* klips_rt.h: the runtime objects of the KLIPS commands: the SAs `spi`
 * made, the links `spigrp` made between SAs, the eroutes `eroute` made.
 *
 * They are an owned overlay on the config (DESIGN.md "Data flow"): a
 * struct klips_rt holds them with their keys, klips_rt_apply() changes
 * them as one command asks (all of it or, on an error, nothing),
 * klips_rt_merge() makes the struct cfg the model
 * is built from (the config file's sections, then ours), and
 * klips_rt_save() / klips_rt_load() write and read them as the KLIPS
 * command lines that make them, one per line (state-dir/runtime, mode
 * 0600: keys are in it).  Pure: no I/O, no logging (what the merge leaves
 * out is reported in a text the caller logs).
 *
 * The KLIPS model kept here (spigrp(8) says it for users):
 * - Groups are strict chains of pairwise links, inside -> outside, at most
 *   CFG_MAX_GROUP_SAS SAs: `spigrp A B C` links A->B and B->C; an SA has at
 *   most one successor and one predecessor, and no cycle (EEXIST, as the
 *   KLIPS kernel); linking two chains joins them.
 * - `spigrp A` (one SA) dissolves the whole chain A is in, as the KLIPS man
 *   page says, and `spi --del A` deletes every runtime SA of A's chain, as
 *   the KLIPS kernel did (a second --del then finds nothing: ENOENT).
 * - An eroute names the first SA of a group (or a lone SA, or a shunt);
 *   an SA that carries eroutes cannot be linked behind another.  When its
 *   group is dissolved or its SA deleted, the eroute becomes %drop: no
 *   policy is ever left pointing at an SA that no longer starts the group
 *   it was made for, the traffic is blocked rather than sent in clear, and
 *   a KLIPS script's later `eroute --del` still finds it.
 * - SAs of the config take part in runtime groups only while no [group] of
 *   the config holds them; a runtime SA whose SAID the config now defines
 *   gives way to the config's.
 */
#ifndef SPIGRP_KLIPS_RT_H
#define SPIGRP_KLIPS_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "hash.h"
#include "klips_args.h"
#include "sadb.h" /* sadb_is_local_fn */
#include "strbuf.h"

/* A link of a runtime group: @from's successor (outwards) is @to. */
struct klips_link {
	struct said from, to;
};

/* Positions in the arrays of a struct klips_rt, by SAID (sa[], link[].from,
 * link[].to, er[].said) and by source and destination (er[]): lookups in
 * constant time, so that a runtime file of thousands of objects loads in
 * linear time.  klips_rt.c keeps them; all zero is a valid empty index. */
struct klips_rt_index {
	struct hidx sa, from, to, er, er_key;
};

struct klips_rt {
	struct cfg_sa *sa;           /* runtime SAs in creation order; keys
					owned (cfg_key_clear()) */
	size_t nsa;
	struct klips_link *link;     /* in creation order */
	size_t nlink;
	struct klips_eroute *er;     /* in creation order */
	size_t ner;
	struct klips_rt_index idx;   /* of the arrays above; change them only
					through klips_rt_apply() */
};

/* An empty overlay (all zero) needs no constructor. */
void klips_rt_free(struct klips_rt *k);          /* wipes keys; leaves @k empty */
/* Deep copy of @src into @dst (emptied first); keys copied.  0 / -ENOMEM
 * (@dst empty). */
int klips_rt_copy(struct klips_rt *dst, const struct klips_rt *src);

/**
 * klips_rt_apply() - carry out @req (klips_parse()'s, op other than
 * KLIPS_LIST) on @k.
 * @file: the running config file's sections (config SAs may be grouped
 *   while no [group] of @file holds them; an SAID @file defines cannot be
 *   made again).
 * @out: on success what changed ("added esp.1234@192.0.2.1", one line per
 *   object); on failure the message(s) for the user's stderr, each
 *   "PROG: text\n", naming the SAID at fault.
 * On failure @k is left as it was (klips_rt_load() relies on it; the
 * daemon still applies to a copy, which it keeps only once the model built
 * from it is accepted).  Directions, tunnel addresses and collisions are
 * not checked here: sadb_build() on klips_rt_merge()'s config does it.
 * Return: 0, or -ENOENT (a named SA or eroute does not exist), -EEXIST (it
 * exists; a link the chain rules forbid), -E2BIG (a group of more than
 * CFG_MAX_GROUP_SAS SAs), -EPERM (an object of the config: the config file
 * changes those), -EINVAL (a request XFRM cannot express), -ENOMEM.
 */
int klips_rt_apply(struct klips_rt *k, const struct cfg *file, const struct klips_req *req,
		   struct strbuf *out);

/**
 * klips_rt_merge() - the config the model is built from: a deep copy of
 * @file followed by the runtime objects of @k (sections numbered from
 * @file's last line + 1 in @k's order, so the view lists them after the
 * config's, in creation order; cfg.rt_line says where they start).
 * Runtime groups are named by the SAID (seed format) of their first SA;
 * shunt eroutes "eroute:SRC->DST".  Each chain becomes a [group] whose
 * selectors are its eroutes (their sources x their destinations: the
 * eroutes of one group must form such a product, klips_rt_apply() sees to
 * it); an inbound group that has no eroute gets the reverse of the eroutes
 * of the outbound group with the opposite outer addresses (its in and fwd
 * policies: XFRM drops tunnel-mode packets that no in policy matches).
 * @is_local tells inbound from outbound (a group's outermost SA: its
 * destination is local).
 * Left out, each with a line in @notes: runtime SAs whose SAID @file now
 * defines (the config wins), links or eroutes that name an SA no longer
 * there or one a [group] of @file now holds.
 * Return: the config (cfg_free()), or NULL (out of memory).
 */
struct cfg *klips_rt_merge(const struct cfg *file, const struct klips_rt *k,
			   sadb_is_local_fn is_local, void *arg, struct strbuf *notes);

/**
 * klips_rt_save() - @k as the KLIPS command lines that make it: a comment
 * line, then `spi --said ...` per SA (keys in hex), `spigrp --said A B` per
 * link, `eroute --add ...` per eroute.  Keys are in the text: @out is
 * made a secret strbuf (what its growth leaves behind is wiped, and
 * strbuf_free() wipes it); wipe what strbuf_take() hands over.  Return: 0
 * or -ENOMEM.
 */
int klips_rt_save(const struct klips_rt *k, struct strbuf *out);

/**
 * klips_rt_load() - replay the lines of @text (klips_rt_save()'s form;
 * '#' comments and blank lines skipped) into @k through klips_parse() and
 * klips_rt_apply() against @file.  A line that fails (the config changed
 * since it was written) is left out with a "runtime:LINE: reason" line in
 * @notes (the first 100 such lines; then one line counts the rest); the
 * others are kept.  A line of more than 48 words is left out whole.
 * Return: the number of lines left out, or -ENOMEM.
 */
int klips_rt_load(struct klips_rt *k, const struct cfg *file, const char *text,
		  struct strbuf *notes);

/* The runtime SA of @k with SAID @s (hash lookup), or NULL.  Borrowed. */
const struct cfg_sa *klips_rt_find_sa(const struct klips_rt *k, const struct said *s);

/**
 * klips_rt_unfit() - leave out of @c (klips_rt_merge()'s) the runtime
 * objects that sadb_build_lines() found errors at (@bad): their SAs, and
 * the groups at those lines or holding those SAs; a left-out group with
 * selectors stays as a %drop shunt named "unfit:NAME" (its traffic is
 * blocked, never sent in clear), unless it was at fault itself again.
 * Config sections are never touched.  One name per object left out (SAID
 * or group name) is appended to @names.
 * Return: 1 when something was left out, 0 when nothing could be (the
 * errors are the config's), -ENOMEM.
 */
int klips_rt_unfit(struct cfg *c, const struct sadb_lines *bad, struct strbuf *names);

#endif
