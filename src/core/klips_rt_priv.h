/* klips_rt_priv.h: what klips_rt.c, klips_rt_cfg.c and klips_rt_save.c
 * share; not for other modules (klips_rt.h is the interface). */
#ifndef SPIGRP_KLIPS_RT_PRIV_H
#define SPIGRP_KLIPS_RT_PRIV_H

#include "klips_rt.h"

/* Index in k->link of the link from / to @s, or -1. */
long krt_succ(const struct klips_rt *k, const struct said *s);
long krt_pred(const struct klips_rt *k, const struct said *s);
/* The chain @s is in, from its first SA outwards, at most @max SAs into
 * @out; their number (1 for an SA in no chain). */
unsigned krt_chain(const struct klips_rt *k, const struct said *s, struct said *out, unsigned max);
/* The [group] of @file that holds @s, or NULL. */
const struct cfg_group *krt_file_group(const struct cfg *file, const struct said *s);
/* "SRC -> DST" of an eroute. */
void krt_er_text(const struct klips_eroute *e, char *buf, size_t len);

/*
 * The SA `spi` asks for, as the config's [sa] section would make it (the
 * config parser checks it and sets the same defaults: replay window 32,
 * ESN on for ESP and AH unless --replay_window 0).  @sa owns its keys.
 * Return: 0, or -EINVAL / -EOPNOTSUPP with @why, -ENOMEM.
 */
int krt_sa_from_req(const struct klips_spi *s, struct cfg_sa *sa, char *why, size_t len);

#endif
