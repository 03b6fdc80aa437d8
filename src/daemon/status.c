/* status.c: status answers (status.h). */
#include "config.h"

#include <string.h>

#include "daemon.h"
#include "place.h"
#include "runtime.h"
#include "sadb.h"
#include "status.h"

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
		if (g->sa[k]->cfg->said.proto != SAID_PROTO_TUN)
			strbuf_printf(b, ": bytes %llu packets %llu replay-errors %u integrity-errors %u",
				      (unsigned long long)c->bytes, (unsigned long long)c->packets,
				      c->replay_errs + c->replay_window_errs, c->integrity_errs);
		strbuf_puts(b, "\n");
	}
}

void status_text(const struct daemon *d, struct strbuf *b)
{
	for (size_t i = 0; i < d->db->ngroup; i++)
		text_group(b, d->db->group[i], rt_of(d->rt, d->db->group[i]));
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
			      "\"integrity_errors\":%u}",
			      (unsigned long long)c->bytes, (unsigned long long)c->packets,
			      c->replay_errs + c->replay_window_errs, c->integrity_errs);
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
	strbuf_puts(b, "]}\n");
}
