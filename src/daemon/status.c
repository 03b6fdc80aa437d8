/* status.c: status answers (status.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "daemon.h"
#include "dp.h"
#include "place.h"
#include "reconcile.h"
#include "runtime.h"
#include "sadb.h"
#include "salive.h"
#include "status.h"

/* The datapath's live object of @r's SA @k, or NULL: none (not in
 * userspace, or no live object). */
static const struct sa_live *dp_live(const struct rt_group *r, unsigned k)
{
	return r->place == PLACE_USERSPACE ? r->sa[k]->live : NULL;
}

static uint64_t drops(const struct sa_live *l, unsigned why)
{
	return atomic_load_explicit(&l->drop[why], memory_order_relaxed);
}

static void put_said(struct strbuf *b, const char *pre, const struct said *s)
{
	char said[SAID_BUF];

	said_format(s, '0', said, sizeof(said));
	strbuf_printf(b, "%s%s", pre, said);
}

void status_list(const struct daemon *d, struct strbuf *b)
{
	for (size_t i = 0; i < d->db->ngroup; i++) {
		const struct sadb_group *g = d->db->group[i];
		const struct rt_group *r = rt_of(d->rt, g);

		strbuf_printf(b, "%s %s %s %s", g->name, rt_state_name(r->state),
			      place_name(r->place), sadb_dir_name(g->dir));
		if (g->shunt)
			put_said(b, " ", &g->shunt_said);
		for (unsigned k = 0; k < g->nsa; k++)
			put_said(b, " ", &g->sa[k]->cfg->said);
		strbuf_puts(b, "\n");
	}
}

static void text_group(struct strbuf *b, const struct sadb_group *g, const struct rt_group *r)
{
	const char *state = rt_state_name(r->state);
	struct reason place;

	strbuf_printf(b, "group %s%s\n", g->name, g->implicit ? " (SA in no group)" : "");
	if (r->why.text[0] && strcmp(r->why.text, state))
		strbuf_printf(b, "  state: %s (%s)\n", state, r->why.text);
	else
		strbuf_printf(b, "  state: %s\n", state);
	rt_place_why(r, g, &place);
	strbuf_printf(b, "  placement: %s (%s)\n", place_name(r->place),
		      place.text[0] ? place.text : "configured");
	strbuf_printf(b, "  direction: %s  reqid: 0x%08x\n", sadb_dir_name(g->dir), g->reqid);
	for (unsigned k = 0; k < g->nsa; k++) {
		const struct sa_counters *c = &r->sa[k]->ctr;

		put_said(b, "  sa ", &g->sa[k]->cfg->said);
		strbuf_printf(b, ": bytes %llu packets %llu replay-errors %u integrity-errors %u\n",
			      (unsigned long long)c->bytes, (unsigned long long)c->packets,
			      c->replay_errs + c->replay_window_errs, c->integrity_errs);
		if (dp_live(r, k)) {
			strbuf_puts(b, "    drops:");
			for (unsigned w = 0; w < DP_DROP_NR; w++)
				if (dp_drop_name(w))
					strbuf_printf(b, " %s %llu", dp_drop_name(w),
						      (unsigned long long)drops(dp_live(r, k), w));
			strbuf_puts(b, "\n");
		}
	}
}

int status_netdev_tx_dropped(const char *text, const char *dev, uint64_t *val)
{
	size_t n = strlen(dev);
	const char *l;

	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned long long f[12];

		while (*l == ' ')
			l++;
		if (strncmp(l, dev, n) || l[n] != ':')
			continue;
		/* receive: 8 fields; transmit: bytes packets errs drop ... */
		if (sscanf(l + n + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9],
			   &f[10], &f[11]) != 12)
			return -EINVAL;
		*val = f[11];
		return 0;
	}
	return -ENOENT;
}

/* The engine's per-socket counters into @st; false when it does not run. */
static bool dp_counters(const struct daemon *d, struct dp_stats *st)
{
	if (!d->dp)
		return false;
	d->dpops->stats(d->dp, st);
	return true;
}

/* Why the engine is not running: it failed, or nothing asked for it. */
static const char *dp_reason(const struct daemon *d)
{
	if (d->dp_why[0])
		return d->dp_why;
	return d->dp_tried ? "not started" : "no group is placed in userspace";
}

static void text_datapath(const struct daemon *d, struct strbuf *b)
{
	struct dp_stats st;

	if (!dp_counters(d, &st)) {
		strbuf_printf(b, "datapath: not running (%s)\n", dp_reason(d));
		return;
	}
	strbuf_printf(b, "datapath: %s tun-packets %llu tun-malformed %llu tun-no-group %llu "
		      "tun-write-errors %llu tun-tx-dropped %llu tx-packets %llu tx-errors %llu "
		      "rx-packets %llu rx-not-ours %llu rx-malformed %llu\n", d->cfg->tun_device,
		      (unsigned long long)st.tun_packets, (unsigned long long)st.tun_malformed,
		      (unsigned long long)st.tun_no_group, (unsigned long long)st.tun_write_errors,
		      (unsigned long long)st.tun_tx_dropped, (unsigned long long)st.tx_packets,
		      (unsigned long long)st.tx_errors, (unsigned long long)st.rx_packets,
		      (unsigned long long)st.rx_not_ours, (unsigned long long)st.rx_malformed);
	for (unsigned i = 0; i < DP_NSOCK; i++)
		if (st.sock[i].name)
			strbuf_printf(b, "  socket %s: packets %llu not-ours %llu malformed %llu\n",
				      st.sock[i].name, (unsigned long long)st.sock[i].packets,
				      (unsigned long long)st.sock[i].not_ours,
				      (unsigned long long)st.sock[i].malformed);
}

void status_text(const struct daemon *d, struct strbuf *b)
{
	for (size_t i = 0; i < d->db->ngroup; i++)
		text_group(b, d->db->group[i], rt_of(d->rt, d->db->group[i]));
	for (size_t i = 0; i < d->labels.n; i++)
		strbuf_printf(b, "label reqid %u (0x%08x): %s\n", d->labels.e[i].reqid,
			      d->labels.e[i].reqid, d->labels.e[i].name);
	text_datapath(d, b);
}

static void json_said(struct strbuf *b, const struct said *s)
{
	char said[SAID_BUF];

	said_format(s, '0', said, sizeof(said));
	strbuf_puts(b, "{\"said\":");
	strbuf_json_str(b, said);
}

static void json_group(struct strbuf *b, const struct sadb_group *g, const struct rt_group *r)
{
	struct reason place;

	rt_place_why(r, g, &place);
	strbuf_puts(b, "{\"name\":");
	strbuf_json_str(b, g->name);
	strbuf_printf(b, ",\"implicit\":%s,\"state\":\"%s\",\"state_reason\":",
		      g->implicit ? "true" : "false", rt_state_name(r->state));
	strbuf_json_str(b, r->why.text);
	strbuf_printf(b, ",\"placement\":\"%s\",\"placement_reason\":", place_name(r->place));
	strbuf_json_str(b, place.text);
	strbuf_printf(b, ",\"direction\":\"%s\",\"reqid\":%u,\"sas\":[", sadb_dir_name(g->dir),
		      g->reqid);
	if (g->shunt) {
		json_said(b, &g->shunt_said);
		strbuf_puts(b, "}");
	}
	for (unsigned k = 0; k < g->nsa; k++) {
		const struct sa_counters *c = &r->sa[k]->ctr;

		if (k)
			strbuf_puts(b, ",");
		json_said(b, &g->sa[k]->cfg->said);
		strbuf_printf(b, ",\"bytes\":%llu,\"packets\":%llu,\"replay_errors\":%u,"
			      "\"integrity_errors\":%u",
			      (unsigned long long)c->bytes, (unsigned long long)c->packets,
			      c->replay_errs + c->replay_window_errs, c->integrity_errs);
		if (dp_live(r, k)) {
			const char *sep = "";

			strbuf_puts(b, ",\"drops\":{");
			for (unsigned w = 0; w < DP_DROP_NR; w++) {
				if (!dp_drop_name(w))
					continue;
				strbuf_printf(b, "%s\"%s\":%llu", sep, dp_drop_name(w),
					      (unsigned long long)drops(dp_live(r, k), w));
				sep = ",";
			}
			strbuf_puts(b, "}");
		}
		strbuf_puts(b, "}");
	}
	strbuf_puts(b, "]}");
}

static void json_datapath(const struct daemon *d, struct strbuf *b)
{
	struct dp_stats st;
	const char *sep = "";

	if (!dp_counters(d, &st)) {
		strbuf_puts(b, "\"datapath\":{\"running\":false,\"reason\":");
		strbuf_json_str(b, dp_reason(d));
		strbuf_puts(b, "}");
		return;
	}
	strbuf_puts(b, "\"datapath\":{\"running\":true,\"device\":");
	strbuf_json_str(b, d->cfg->tun_device);
	strbuf_printf(b, ",\"tun_packets\":%llu,\"tun_malformed\":%llu,\"tun_no_group\":%llu,"
		      "\"tun_write_errors\":%llu,\"tun_tx_dropped\":%llu,\"tx_packets\":%llu,"
		      "\"tx_errors\":%llu,\"rx_packets\":%llu,\"rx_not_ours\":%llu,"
		      "\"rx_malformed\":%llu,\"sockets\":[",
		      (unsigned long long)st.tun_packets, (unsigned long long)st.tun_malformed,
		      (unsigned long long)st.tun_no_group, (unsigned long long)st.tun_write_errors,
		      (unsigned long long)st.tun_tx_dropped, (unsigned long long)st.tx_packets, (unsigned long long)st.tx_errors,
		      (unsigned long long)st.rx_packets, (unsigned long long)st.rx_not_ours,
		      (unsigned long long)st.rx_malformed);
	for (unsigned i = 0; i < DP_NSOCK; i++) {
		if (!st.sock[i].name)
			continue;
		strbuf_printf(b, "%s{\"name\":", sep);
		strbuf_json_str(b, st.sock[i].name);
		strbuf_printf(b, ",\"packets\":%llu,\"not_ours\":%llu,\"malformed\":%llu}",
			      (unsigned long long)st.sock[i].packets,
			      (unsigned long long)st.sock[i].not_ours,
			      (unsigned long long)st.sock[i].malformed);
		sep = ",";
	}
	strbuf_puts(b, "]}");
}

void status_json(const struct daemon *d, struct strbuf *b)
{
	strbuf_printf(b, "{\"version\":\"%s\",\"groups\":[", PACKAGE_VERSION);
	for (size_t i = 0; i < d->db->ngroup; i++) {
		if (i)
			strbuf_puts(b, ",");
		json_group(b, d->db->group[i], rt_of(d->rt, d->db->group[i]));
	}
	strbuf_puts(b, "],\"labels\":[");
	for (size_t i = 0; i < d->labels.n; i++) {
		strbuf_printf(b, "%s{\"reqid\":%u,\"label\":", i ? "," : "",
			      d->labels.e[i].reqid);
		strbuf_json_str(b, d->labels.e[i].name);
		strbuf_puts(b, "}");
	}
	strbuf_puts(b, "],");
	json_datapath(d, b);
	strbuf_puts(b, "}\n");
}
