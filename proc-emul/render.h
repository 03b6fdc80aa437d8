/* render.h: the KLIPS /proc/net views as text, from a sadb and its
 * runtime (our groups in ipsec_spigrp) and from a kview (kview.h: every
 * SA, group and eroute, ours and foreign).  Pure: no FUSE, no I/O, no
 * clock (the caller passes the time); the FUSE glue (view.c) serves what
 * these produce, as snapshots (snap.h).  The formats are the man pages'
 * (ipsec_spigrp(5), ipsec_spi(5), ipsec_eroute(5), ipsec_tncfg(5)); every
 * file prints SAIDs in the one configured said-format, so that the first
 * SAID of a spigrp line equals the SAID of its eroute line (`ipsec look`
 * joins them on it). */
#ifndef SPIGRP_RENDER_H
#define SPIGRP_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include "cfg.h"
#include "kview.h"
#include "runtime.h"
#include "sadb.h"
#include "strbuf.h"

/**
 * render_spigrp() - append ipsec_spigrp to @out: one line per group of @db
 * that @rt says is RT_INSTALLED (a NULL @rt shows none), in creation order
 * (sadb_group.order); SAIDs inside -> outside, each followed by one space
 * (the last one too), then "\n".  A shunt group shows its magic SAID
 * (%pass, ...).  @fmt selects the SAID form (seed '0' or KLIPS-kernel 'x').
 * Return: 0 (out->s NUL-terminated, also when nothing was appended),
 * -EINVAL for an unknown @fmt, -ENOMEM (out->oom set).
 */
int render_spigrp(const struct sadb *db, const struct runtime *rt, enum cfg_said_format fmt,
		  struct strbuf *out);

/**
 * render_spigrp_kview() - append the lines of @v's groups that are not
 * ours (kv_group.ours false; ours come from the model: render_spigrp()),
 * in kv_group.order, each SAID followed by one space, then "\n".  @v may
 * be NULL (nothing).  Return: 0, -EINVAL (@fmt), -ENOMEM.
 */
int render_spigrp_kview(const struct kview *v, enum cfg_said_format fmt, struct strbuf *out);

/**
 * render_spi() - append ipsec_spi: one line per SA of @v, ours first, each
 * part in the order they were added to @v; fields in KLIPS order
 * (ipsec_spi(5)): SAID, transform name (render_xform()), `: dir=in ` or
 * `: dir=out`, ` src=`, ` policy=`, ` ooowin=` ` ooo_errs=` ` seq=`
 * (non-zero ones), ` alen=` ` aklen=` ` auth_errs=` ` eklen=` (non-zero
 * ones), ` life(c,s,h)=` with bytes/addtime/usetime/packets (each where it
 * has a current value or a limit; times as seconds before @now, seconds
 * since the epoch), ` idle=`, ` natencap=` ` natsport=` ` natdport=`,
 * ` reqid=` and ` label=` where known.  Never a key.
 * Return: 0, -EINVAL (@fmt), -ENOMEM.
 */
int render_spi(const struct kview *v, enum cfg_said_format fmt, uint64_t now,
	       struct strbuf *out);

/**
 * render_eroute() - append ipsec_eroute: one line per eroute of @v, ours
 * first: "%-10llu %-18s -> %-18s => %s%s\n" with the count, the source and
 * destination selectors (prefix, ":port" when one is set; IPv6 with a port
 * as "[prefix]:port"), the SAID and ":proto" when a protocol is set.
 * Return: 0, -EINVAL (@fmt), -ENOMEM.
 */
int render_eroute(const struct kview *v, enum cfg_said_format fmt, struct strbuf *out);

/* A tunnel device as ipsec_tncfg shows it (KLIPS's ipsecN lines). */
struct render_tunif {
	char name[IF_NAMESIZE];
	char phys[IF_NAMESIZE];      /* "" = none: printed NULL */
	uint32_t mtu, priv_mtu, phys_mtu;
};

/* Append ipsec_tncfg: "<dev> -> <phys|NULL> mtu=<mtu>(<priv>) -> <phys mtu>\n"
 * per device of @d (@n of them).  0 or -ENOMEM. */
int render_tncfg(const struct render_tunif *d, size_t n, struct strbuf *out);

/* Append ipsec/klipsdebug: KLIPS's nine debug_* lines, all 00000000 (no
 * KLIPS debug switches exist here).  0 or -ENOMEM. */
int render_klipsdebug(struct strbuf *out);

/* Append ipsec/natt: "1\n" (XFRM always carries ESP in UDP).  0/-ENOMEM. */
int render_natt(struct strbuf *out);

/**
 * render_xform() - the KLIPS transform name of @sa into @buf (@len bytes,
 * NUL-terminated): protocol (AH, ESP, IPIP, COMP, else UNKNOWN_proto) then,
 * from the kernel crypto names, the cipher suffix (_AES, _3DES, _NULL,
 * _AES_GCM_16, ...; COMP: _DEFLATE, _LZS, ...) and the authenticator
 * suffix (_HMAC_SHA1, _HMAC_SHA2_256, ...).  A name outside the table
 * becomes "_" and the name in capitals with each run of other characters
 * as one "_" ("cbc(cast5)" -> "_CBC_CAST5").
 * Return: the length of the full name (snprintf semantics).
 */
size_t render_xform(const struct kv_sa *sa, char *buf, size_t len);

/* Append ipsec_version: "spigrpd version: <VERSION>\n".  0 or -ENOMEM. */
int render_version(struct strbuf *out);

#endif
