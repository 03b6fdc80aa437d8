/* cfg_dp.c: the [daemon] keys of the userspace datapath (cfg.h):
 * tun-device, fwmark, dp-batch. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cfg_priv.h"

#define IFNAME_MAX 15 /* IFNAMSIZ - 1 */

/* Decimal or 0x-hex, at most @max.  0 or -EINVAL. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	const char *digits = s;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = s + 2;
	}
	/* strtoull() would take signs and white space: digits only */
	if (!*digits || strspn(digits, base == 16 ? "0123456789abcdefABCDEF" : "0123456789") !=
			strlen(digits) || strlen(digits) > 20)
		return -EINVAL;
	errno = 0;
	*out = strtoull(digits, &end, base);
	return errno || *end || *out > max ? -EINVAL : 0;
}

/* Narrower than the kernel's dev_valid_name(): letters, digits, '_', '-'
 * and '.' (what nftables rules may name, nft.h), no '%' (a name template
 * would give the device a name of the kernel's choosing). */
static const char *ifname_refused(const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return "empty";
	if (n > IFNAME_MAX)
		return "an interface name has at most 15 bytes";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "not an interface name";
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != n)
		return "use letters, digits, '_', '-' and '.'";
	return NULL;
}

/* "VALUE" or "VALUE/MASK" (mask default 0xffffffff). */
static const char *fwmark_refused(const char *s, uint32_t *mark, uint32_t *mask)
{
	const char *slash = strchr(s, '/');
	char val[32];
	uint64_t v, m = 0xffffffffu;

	if ((slash ? (size_t)(slash - s) : strlen(s)) >= sizeof(val))
		return "expected VALUE or VALUE/MASK (32-bit numbers)";
	snprintf(val, sizeof(val), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (parse_num(val, 0xffffffffu, &v) || (slash && parse_num(slash + 1, 0xffffffffu, &m)))
		return "expected VALUE or VALUE/MASK (32-bit numbers)";
	if (!v)
		return "the mark must not be 0 (unmarked packets carry 0)";
	if (v & ~m)
		return "the mark has bits outside the mask";
	*mark = (uint32_t)v;
	*mask = (uint32_t)m;
	return NULL;
}

int cfgp_daemon_dp_key(struct cfg *c, int k, const char *val, char *err, size_t len)
{
	const char *why = NULL;
	uint64_t n;
	char *dup;

	err[0] = '\0';
	switch (k) {
	case D_TUN_DEVICE:
		why = ifname_refused(val);
		if (why)
			break;
		dup = strdup(val);
		if (!dup)
			return -ENOMEM;
		free(c->tun_device);
		c->tun_device = dup;
		return 0;
	case D_FWMARK:
		why = fwmark_refused(val, &c->fwmark, &c->fwmask);
		break;
	case D_DP_BATCH:
		if (parse_num(val, 64, &n) || !n)
			why = "expected a number of packets, 1..64";
		else
			c->dp_batch = (unsigned)n;
		break;
	default:
		why = "not a datapath key";
	}
	if (!why)
		return 0;
	snprintf(err, len, "%s", why);
	return -EINVAL;
}
