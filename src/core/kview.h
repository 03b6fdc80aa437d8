/* kview.h: the kernel's IPsec objects as the KLIPS view shows them, in
 * plain structs: SAs (ipsec_spi), groups (ipsec_spigrp lines) and eroutes
 * (ipsec_eroute), ours and foreign.
 *
 * kern/'s mirror derives the foreign part from every XFRM state and
 * policy of the namespace (the rules are ipsec_spigrp(5)'s); the daemon
 * fills our part from its model and runtime (so our objects are rendered
 * from the model only, never twice); proc-emul/'s renderers turn a kview
 * into the files' text.  A kview is built by one thread and then only
 * read: the daemon publishes it inside a snapshot (snap.h).  No I/O; the
 * builder functions allocate.
 */
#ifndef SPIGRP_KVIEW_H
#define SPIGRP_KVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "sadb.h"
#include "said.h"

#define KV_NAME 64          /* a kernel crypto name, as XFRM's alg_name */
#define KV_LABEL 64         /* a label (spigrp --set-label), NUL-terminated */
#define KV_MAX_GROUP 8      /* SAs in a derived group: XFRM's 6 templates,
			       a synthesized tun, margin */

/* One SA, as ipsec_spi(5) prints it (spec/klips-formats.md 4.1). */
struct kv_sa {
	struct said said;            /* tun SAs synthesized (DESIGN.md decision 3) */
	struct ip_addr src;
	enum sadb_dir dir;           /* SADB_DIR_NONE: not known */
	char enc[KV_NAME];           /* kernel crypto names; "" = none */
	char auth[KV_NAME];
	char comp[KV_NAME];
	bool aead;                   /* enc is an AEAD (no separate auth) */
	uint32_t ekey_bits, akey_bits, icv_bits;
	uint32_t replay_window;      /* packets */
	uint32_t replay_errs, replay_window_errs, integrity_errs;
	uint64_t seq;                /* last sequence number sent or seen */
	uint64_t bytes, packets;     /* current use */
	uint64_t add_time, use_time; /* seconds since the epoch; 0 = never;
					use_time is the first use (XFRM's
					curlft.use_time) */
	uint64_t last_used;          /* last use (XFRMA_LASTUSED), seconds
					since the epoch; 0 = never or unknown:
					ipsec_spi's idle= */
	struct cfg_life life;        /* soft/hard limits; 0 = none */
	bool has_policy;             /* `policy=` (the tun SA of an inbound group) */
	struct ip_prefix policy_src, policy_dst;
	uint16_t encap_type;         /* NAT-T: UDP_ENCAP_ESPINUDP(_NON_IKE); 0 = none */
	uint16_t encap_sport, encap_dport; /* host order */
	uint32_t reqid;
	char label[KV_LABEL];        /* "" = none */
	bool ours;
};

/* One ipsec_spigrp line: indices into kview.sa, inside -> outside. */
struct kv_group {
	uint32_t sa[KV_MAX_GROUP];
	unsigned nsa;
	uint64_t order;              /* line order (creation order) */
	char label[KV_LABEL];
	bool ours;
};

/* One ipsec_eroute line: a policy's selector pair and where it leads. */
struct kv_eroute {
	struct ip_prefix src, dst;
	uint8_t proto;               /* 0 = any */
	uint16_t sport, dport;       /* host order; 0 = any */
	struct said said;            /* the group's first SAID, or a magic one
					(%pass, %drop, %reject, %trap, %hold) */
	uint64_t count;              /* packets (the group's first state) */
	bool ours;
};

struct kview {
	struct kv_sa *sa;
	size_t nsa, sa_cap;
	struct kv_group *grp;
	size_t ngrp, grp_cap;
	struct kv_eroute *er;
	size_t ner, er_cap;
};

/* A zeroed struct kview is an empty one.  Append one record (copied);
 * return its index, or -ENOMEM.  kview_add_group() also refuses (-EINVAL)
 * a group of more than KV_MAX_GROUP SAs or naming an SA index not added
 * yet: add a group's SAs first. */
long kview_add_sa(struct kview *v, const struct kv_sa *sa);
long kview_add_group(struct kview *v, const struct kv_group *g);
long kview_add_eroute(struct kview *v, const struct kv_eroute *e);
/* Empty @v, keeping its arrays for the next records. */
void kview_reset(struct kview *v);
/* Free the arrays (the struct itself is the caller's); NULL is a no-op. */
void kview_clear(struct kview *v);

#endif
