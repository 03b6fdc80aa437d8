/* xfrm_msg.h: every NETLINK_XFRM message we send or receive, as plain C
 * structs, and their bytes: building (xm_build()) and parsing (xm_parse()).
 *
 * Pure: no socket, no libnl, no logging, no global state.  The parser
 * reads any XFRM state or policy the kernel reports, ours and foreign
 * (charon's, pluto's, `ip xfrm`'s), so it keeps every field of the kernel's
 * headers and the attributes that tell objects apart; attributes it does
 * not know are skipped.  It is strict about what it reads: a message or
 * attribute that is shorter than its type needs, or says it is longer than
 * the bytes given, is -EINVAL, and nothing past the given length is read
 * (messages in a receive buffer are only 4-byte aligned: every field is
 * copied out with memcpy).
 *
 * Byte order is the kernel's: SPIs, ports and port masks in network order,
 * everything else host order.  Addresses are xfrm_address_t (16 bytes, an
 * IPv4 address in the first 4, the rest 0) with the family beside them.
 *
 * Keys: an xm_alg's key is borrowed, never copied: after xm_parse() it
 * points into the parsed message, for xm_build() at the caller's bytes.
 * A built message holding keys must be released with xm_free(), which
 * wipes it (OPENSSL_cleanse).
 *
 * Layouts (include/uapi/linux/xfrm.h, net/xfrm/xfrm_user.c):
 *   NEWSA UPDSA (also dump replies)      xfrm_usersa_info     + attributes
 *   DELSA GETSA (requests)                xfrm_usersa_id       + XFRMA_MARK
 *   DELSA (event)                         xfrm_usersa_id       + XFRMA_SA + attributes
 *   EXPIRE                                xfrm_user_expire     + attributes
 *   NEWPOLICY UPDPOLICY (also dumps)      xfrm_userpolicy_info + attributes
 *   DELPOLICY GETPOLICY (requests)        xfrm_userpolicy_id   + type/mark/if_id
 *   DELPOLICY (event)                     xfrm_userpolicy_id   + XFRMA_POLICY + attributes
 *   POLEXPIRE                             xfrm_user_polexpire  + attributes
 *   FLUSHSA                               xfrm_usersa_flush
 *   FLUSHPOLICY                           (nothing)            + XFRMA_POLICY_TYPE
 *   ACQUIRE (event, parsed only)          xfrm_user_acquire    + XFRMA_TMPL, mark, if_id
 *   NEWAE (event or GETAE reply, parsed)  xfrm_aevent_id       + replay, XFRMA_LTIME_VAL, mark
 *   GETSA / GETPOLICY with NLM_F_DUMP     (nothing)
 */
#ifndef SPIGRP_XFRM_MSG_H
#define SPIGRP_XFRM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#define XM_ALG_NAME 64 /* sizeof(xfrm_algo.alg_name) */
#define XM_MAX_TMPL 6  /* templates per policy: the kernel's XFRM_MAX_DEPTH */

/* An algorithm attribute (XFRMA_ALG_CRYPT, _AUTH/_AUTH_TRUNC, _AEAD, _COMP). */
struct xm_alg {
	bool present;
	char name[XM_ALG_NAME]; /* the kernel's crypto name, NUL-terminated */
	uint32_t key_bits;
	uint32_t icv_bits;      /* AUTH_TRUNC: truncation; AEAD: ICV length; else 0 */
	const uint8_t *key;     /* (key_bits + 7) / 8 bytes, borrowed (see above);
				   NULL when key_bits is 0 */
};

/* XFRMA_REPLAY_ESN_VAL without its bitmap (bmp_len 32-bit words follow it
 * in the message; a built message carries them zeroed). */
struct xm_replay_esn {
	uint32_t bmp_len, oseq, seq, oseq_hi, seq_hi, replay_window;
};

/* An XFRM state (SA).  Its key in the SAD: daddr, spi, proto, family, mark. */
struct xm_state {
	uint16_t family;             /* AF_INET / AF_INET6 */
	xfrm_address_t daddr, saddr;
	uint32_t spi;                /* network order; a CPI for COMP */
	uint8_t proto;               /* IPPROTO_ESP / _AH / _COMP (kernel-made: 4, 41) */
	uint8_t mode;                /* XFRM_MODE_* */
	uint8_t flags;               /* XFRM_STATE_* */
	uint8_t replay_window;       /* the header's (legacy) window, packets */
	uint32_t reqid, seq;
	struct xfrm_selector sel;
	struct xfrm_lifetime_cfg lft;
	struct xfrm_lifetime_cur curlft; /* counters: bytes, packets, add/use time */
	struct xfrm_stats stats;         /* replay_window, replay, integrity_failed */
	struct xm_alg crypt, auth, aead, comp;
	bool auth_trunc;             /* auth came (goes) as XFRMA_ALG_AUTH_TRUNC,
					icv_bits valid; else legacy XFRMA_ALG_AUTH */
	bool has_replay_esn;
	struct xm_replay_esn replay_esn;
	bool has_replay;             /* XFRMA_REPLAY_VAL: legacy counters */
	struct xfrm_replay_state replay;
	bool has_mark;
	struct xfrm_mark mark;
	bool has_encap;              /* NAT-T (XFRMA_ENCAP) */
	struct xfrm_encap_tmpl encap;
	bool has_coaddr;
	xfrm_address_t coaddr;
	bool has_sec_ctx;            /* a security context is attached (not kept) */
	uint32_t if_id;              /* XFRMA_IF_ID; 0 = none */
	uint32_t extra_flags;        /* XFRMA_SA_EXTRA_FLAGS; 0 = none */
	uint32_t tfcpad;             /* XFRMA_TFCPAD; 0 = none */
	uint64_t lastused;           /* XFRMA_LASTUSED, seconds; 0 = none */
};

/* A policy template (xfrm_user_tmpl, flattened). */
struct xm_tmpl {
	uint16_t family;
	xfrm_address_t daddr, saddr; /* tunnel endpoints; 0 in transport mode */
	uint32_t spi;                /* network order; 0 = any */
	uint8_t proto, mode, share, optional;
	uint32_t reqid, aalgos, ealgos, calgos;
};

/* An XFRM policy.  Its key in the SPD: type, dir, selector, mark, if_id
 * (and a security context). */
struct xm_policy {
	struct xfrm_selector sel;
	struct xfrm_lifetime_cfg lft;
	struct xfrm_lifetime_cur curlft;
	uint32_t priority, index;
	uint8_t dir;                 /* XFRM_POLICY_IN / OUT / FWD */
	uint8_t action;              /* XFRM_POLICY_ALLOW / BLOCK */
	uint8_t flags, share;
	bool has_ptype;              /* XFRMA_POLICY_TYPE given ... */
	uint8_t ptype;               /* ... XFRM_POLICY_TYPE_MAIN when not */
	bool has_mark;
	struct xfrm_mark mark;
	bool has_sec_ctx;
	uint32_t if_id;              /* 0 = none */
	struct xm_tmpl tmpl[XM_MAX_TMPL]; /* inside first */
	unsigned ntmpl;
};

/* XFRM_MSG_ACQUIRE: the kernel asks a key manager for the states of a
 * policy's template (xfrm_send_acquire()): the state it wants (daddr,
 * saddr, spi 0, proto), the flow's selector, and the policy with its
 * templates. */
struct xm_acquire {
	xfrm_address_t daddr, saddr;
	uint32_t spi;                /* network order (0) */
	uint8_t proto;
	uint32_t seq;                /* the larval state's km.seq */
	struct xfrm_selector sel;    /* the flow that needs the states */
	struct xm_policy sp;         /* the policy (dir, index, templates, mark) */
};

/* One message.  Which members mean something depends on type (see the
 * layouts above). */
struct xm_msg {
	uint16_t type;               /* XFRM_MSG_* */
	uint16_t nlflags;            /* nlmsg_flags */
	uint32_t seq, pid;
	bool full;                   /* DELSA/DELPOLICY: the whole object came (comes)
					along (XFRMA_SA / XFRMA_POLICY), not only its id */
	bool hard;                   /* EXPIRE / POLEXPIRE */
	uint8_t flush_proto;         /* FLUSHSA: IPSEC_PROTO_ANY or a protocol */
	uint32_t ae_flags;           /* NEWAE: XFRM_AE_* (why it came) */
	bool ae_ltime;               /* NEWAE: sa.curlft came (XFRMA_LTIME_VAL) */
	union {
		struct xm_state sa;  /* *SA, EXPIRE; NEWAE: the key (daddr, spi,
					proto, family, mark), saddr, reqid, the
					replay attributes and curlft */
		struct xm_policy sp; /* *POLICY, POLEXPIRE, FLUSHPOLICY (type) */
		struct xm_acquire acq; /* ACQUIRE */
	};
};

/**
 * xm_parse() - parse the XFRM message at @buf (an nlmsghdr), of which
 * @len bytes may be read (at least its nlmsg_len for a whole message).
 * GETSA/GETPOLICY with NLM_F_DUMP and no payload parse as such; every other
 * listed type needs its header.  Return: 0; -EINVAL when the message is
 * truncated or malformed (a header or known attribute too short, an
 * attribute running past the message, an algorithm name without NUL, a
 * key longer than its attribute, more than XM_MAX_TMPL templates, a
 * replay bitmap past its attribute); -EOPNOTSUPP for another message type
 * (REPORT, MAPPING, MIGRATE ...).  ACQUIRE and NEWAE are parsed, not built.  @m is zeroed first; on error its
 * contents mean nothing.
 */
int xm_parse(const void *buf, size_t len, struct xm_msg *m);

/**
 * xm_build() - the bytes of @m: nlmsg_type, flags, seq and pid from @m,
 * the header of its type and the attributes it holds (a state: replay
 * ESN/legacy, algorithms, then mark, if_id, encap, ...; a policy:
 * templates, then type, mark, if_id).  An id message (DELSA/GETSA/
 * DELPOLICY/GETPOLICY without full) carries the object's key only: for a
 * policy the selector and direction, and the index (non-zero: the kernel
 * looks the policy up by index).  A GETSA/GETPOLICY with NLM_F_DUMP in
 * nlflags has no payload.  One allocation, 8-byte aligned, every padding
 * byte zero.
 * Return: 0 with *@out to free with xm_free(); -EINVAL (unknown type, an
 * algorithm name without room for its NUL, more than XM_MAX_TMPL
 * templates, a key given without bytes); -ENOMEM.
 */
int xm_build(const struct xm_msg *m, struct nlmsghdr **out);

/* Wipe and free a message from xm_build() (NULL is a no-op). */
void xm_free(struct nlmsghdr *h);

/* Is @sel the same selector (the fields the kernel compares; addresses
 * within the family)?  Families 0 compare equal whatever the addresses. */
bool xm_sel_equal(const struct xfrm_selector *a, const struct xfrm_selector *b);

/* An object's key in the kernel's tables, as a value: a state's daddr,
 * spi, proto, family and mark (SAD); a policy's type, dir, selector, mark
 * and if_id (SPD).  Filled by xm_state_key() / xm_policy_key() with every
 * byte defined (addresses cut to their family), so that equal keys are
 * equal bytes. */
struct xm_key {
	uint8_t policy;              /* 0: a state's key, 1: a policy's */
	uint8_t proto, dir, ptype;
	uint16_t family;
	uint16_t pad;
	uint32_t spi, if_id;
	struct xfrm_mark mark;
	xfrm_address_t daddr;
	struct xfrm_selector sel;
};
void xm_state_key(const struct xm_state *s, struct xm_key *k);
void xm_policy_key(const struct xm_policy *p, struct xm_key *k);
bool xm_key_equal(const struct xm_key *a, const struct xm_key *b);
uint64_t xm_key_hash(const struct xm_key *k); /* util/hash.h FNV-1a 64 */

/**
 * xm_state_oseq() - the last outbound sequence number the kernel used on
 * state @s, as a dump or GETSA reply reports it: with XFRM_STATE_ESN
 * oseq_hi:oseq of XFRMA_REPLAY_ESN_VAL, else oseq of XFRMA_REPLAY_ESN_VAL
 * or of XFRMA_REPLAY_VAL (the kernel sends one of the two; the next packet
 * gets this number plus one).  0 when neither attribute came.
 */
uint64_t xm_state_oseq(const struct xm_state *s);

/* xm_state_iseq() - the highest inbound sequence number state @s accepted
 * (the top of its anti-replay window): seq_hi:seq of XFRMA_REPLAY_ESN_VAL
 * with XFRM_STATE_ESN, else seq of either attribute.  0 when neither came
 * or nothing was received. */
uint64_t xm_state_iseq(const struct xm_state *s);

/**
 * xm_state_set_oseq() - make state @s (to be added with NEWSA) send @last
 * + 1 first: with XFRM_STATE_ESN oseq and oseq_hi of its
 * XFRMA_REPLAY_ESN_VAL (copied by the kernel's
 * xfrm_alloc_replay_state_esn()); without ESN the oseq of its
 * XFRMA_REPLAY_ESN_VAL when it has one (a window above 32), else an
 * XFRMA_REPLAY_VAL with oseq @last is added (xfrm_update_ae_params()
 * copies it at NEWSA; seq and bitmap 0).  The kernel never wraps either
 * counter (without XFRM_SA_XFLAG_OSEQ_MAY_WRAP): past the last number it
 * drops the packets (XfrmOutStateSeqError).
 * Return: 0; -ERANGE when no number is left after @last (2^32 - 1 or more
 * without ESN, UINT64_MAX with ESN); -EINVAL for an ESN state without
 * XFRMA_REPLAY_ESN_VAL.
 */
int xm_state_set_oseq(struct xm_state *s, uint64_t last);

/* Bytes of an address of @family (4, 16, or 0 for another family). */
size_t xm_addr_len(unsigned family);

/* "in", "out", "fwd" (else "?"). */
const char *xm_dir_name(unsigned dir);

#endif
