/* klips_rt_save.c: runtime objects written and read as the KLIPS command
 * lines that make them (klips_rt.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "klips_rt_priv.h"

static void put_key(struct strbuf *b, const char *opt, const struct cfg_key *k)
{
	if (!k->len)
		return;
	strbuf_printf(b, " --%s 0x", opt);
	strbuf_hex(b, k->data, k->len);
}

static void put_life(struct strbuf *b, const struct cfg_life *l)
{
	const uint64_t v[6] = { l->soft_bytes, l->hard_bytes, l->soft_packets, l->hard_packets,
				l->soft_seconds, l->hard_seconds };
	static const char *const name[6] = { "soft-bytes", "hard-bytes", "soft-packets",
					     "hard-packets", "soft-addtime", "hard-addtime" };
	const char *sep = " --life ";

	for (int i = 0; i < 6; i++) {
		if (!v[i])
			continue;
		strbuf_printf(b, "%s%s=%llu", sep, name[i], (unsigned long long)v[i]);
		sep = ",";
	}
}

static int save_sa(const struct cfg_sa *sa, struct strbuf *b)
{
	char said[SAID_BUF], addr[IP_ADDR_BUF], alg[64];

	said_format(&sa->said, '0', said, sizeof(said));
	ip_addr_format(&sa->src, addr, sizeof(addr));
	strbuf_printf(b, "spi --said %s --src %s", said, addr);
	switch (sa->said.proto) {
	case SAID_PROTO_ESP:
		if (alg_esp_name(sa->enc, sa->auth, alg, sizeof(alg)) < 0)
			return -EINVAL;
		strbuf_printf(b, " --esp %s", alg);
		break;
	case SAID_PROTO_AH:
		strbuf_printf(b, " --ah %s", sa->auth->name);
		break;
	case SAID_PROTO_COMP:
		strbuf_printf(b, " --comp %s", sa->comp->name);
		break;
	default: /* tun */
		ip_addr_format(&sa->said.dst, addr, sizeof(addr));
		strbuf_printf(b, " --ip%c --dst %s", sa->said.dst.family == AF_INET ? '4' : '6', addr);
		break;
	}
	put_key(b, "enckey", &sa->enckey);
	put_key(b, "authkey", &sa->authkey);
	if (sa->said.proto == SAID_PROTO_ESP || sa->said.proto == SAID_PROTO_AH)
		strbuf_printf(b, " --replay_window %u", sa->replay_window);
	put_life(b, &sa->life);
	strbuf_puts(b, "\n");
	return 0;
}

/* "NET/LEN" or "NET/LEN:PORT" ("[V6NET/LEN]:PORT"). */
static void put_subnet(struct strbuf *b, const char *opt, const struct ip_prefix *p, uint16_t port)
{
	char t[IP_PREFIX_BUF];

	ip_prefix_format(p, t, sizeof(t));
	if (!port)
		strbuf_printf(b, " --%s %s", opt, t);
	else if (p->addr.family == AF_INET6)
		strbuf_printf(b, " --%s [%s]:%u", opt, t, port);
	else
		strbuf_printf(b, " --%s %s:%u", opt, t, port);
}

int klips_rt_save(const struct klips_rt *k, struct strbuf *out)
{
	char a[SAID_BUF], b[SAID_BUF];

	out->secret = true; /* keys: what growing leaves behind is wiped */
	strbuf_puts(out, "# spigrpd's runtime objects (spi, spigrp, eroute), rewritten whole at "
			 "every change; keys inside\n");
	for (size_t i = 0; i < k->nsa; i++)
		if (save_sa(&k->sa[i], out) < 0)
			return -EINVAL;
	for (size_t i = 0; i < k->nlink; i++)
		strbuf_printf(out, "spigrp --said %s %s\n",
			      (said_format(&k->link[i].from, '0', a, sizeof(a)), a),
			      (said_format(&k->link[i].to, '0', b, sizeof(b)), b));
	for (size_t i = 0; i < k->ner; i++) {
		const struct klips_eroute *e = &k->er[i];

		said_format(&e->said, '0', a, sizeof(a));
		strbuf_puts(out, "eroute --add");
		put_subnet(out, "src", &e->src, e->sport);
		put_subnet(out, "dst", &e->dst, e->dport);
		if (e->tproto)
			strbuf_printf(out, " --transport-proto %u", e->tproto);
		strbuf_printf(out, " --said %s\n", a);
	}
	return out->oom ? -ENOMEM : 0;
}

#define LOAD_WORDS 48  /* a saved line has fewer than 20 */
#define LOAD_NOTES 100 /* lines left out that get a note each; then a count */

/* One line: its words (cut in place), the command, the change; why it is
 * left out in @notes (NULL: not told).  0, 1 (left out) or -ENOMEM. */
/* SAs whose line or grouping could not be made again: an eroute to their
 * group would send its traffic through what is left of it (a bare tun:
 * IP-in-IP in clear), so it is loaded as %drop. */
struct taint {
	struct said *s;
	size_t n;
	bool oom;
};

static void taint_add(struct taint *t, const struct said *s)
{
	struct said *v = realloc(t->s, (t->n + 1) * sizeof(*v));

	if (!v) {
		t->oom = true;
		return;
	}
	t->s = v;
	v[t->n++] = *s;
}

static bool tainted(const struct taint *t, const struct said *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (said_equal(&t->s[i], s))
			return true;
	return false;
}

/* After a failed line: what it named is tainted. */
static void taint_req(struct taint *t, const struct klips_req *req)
{
	if (req->cmd == KLIPS_SPI && req->op == KLIPS_ADD)
		taint_add(t, &req->spi.said);
	else if (req->cmd == KLIPS_SPIGRP)
		for (unsigned i = 0; i < req->grp.n; i++)
			taint_add(t, &req->grp.sa[i]);
}

/* An eroute to a group that could not be made again: %drop instead. */
static bool er_to_drop(struct klips_req *req, const struct taint *t)
{
	if (req->cmd != KLIPS_EROUTE || (req->op != KLIPS_ADD && req->op != KLIPS_REPLACE) ||
	    said_is_magic(&req->er.said) || !tainted(t, &req->er.said))
		return false;
	said_parse("%drop", &req->er.said, NULL, 0);
	return true;
}

/* Does a word of the line hold a key (its note must not show the words)? */
static bool has_key_word(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (strstr(argv[i], "key") || (i > 0 && strstr(argv[i - 1], "key")))
			return true;
	return false;
}

static int load_line(struct klips_rt *k, const struct cfg *file, char *line, unsigned no,
		     struct strbuf *notes, struct taint *taint)
{
	struct strbuf ignored = STRBUF_INIT;
	static const struct { const char *name; enum klips_cmd cmd; } cmds[] = {
		{ "spi", KLIPS_SPI }, { "spigrp", KLIPS_SPIGRP }, { "eroute", KLIPS_EROUTE },
	};
	char *argv[LOAD_WORDS + 1], *save = NULL;
	struct klips_req req;
	struct klips_msg msg;
	struct strbuf out = STRBUF_INIT;
	int argc = 0, r = -EINVAL;
	size_t c;

	if (!notes)
		notes = &ignored;
	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (argc == LOAD_WORDS) {
			/* not cut short: what is left could be another request */
			strbuf_printf(notes, "runtime:%u: more than %d words\n", no, LOAD_WORDS);
			strbuf_free(&ignored);
			return 1;
		}
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[0], cmds[c].name))
			break;
	if (c == sizeof(cmds) / sizeof(cmds[0])) {
		strbuf_printf(notes, "runtime:%u: not a command of spi, spigrp or eroute\n", no);
		strbuf_free(&ignored);
		return 1;
	}
	argv[0] = "runtime";
	if (klips_parse(cmds[c].cmd, argc, argv, NULL, NULL, &req, &msg) == 1 && req.op != KLIPS_LIST) {
		if (er_to_drop(&req, taint))
			strbuf_printf(notes, "runtime:%u: eroute => %%drop: its group could not be made "
				      "again\n", no);
		r = klips_rt_apply(k, file, &req, &out);
		if (r < 0 && r != -ENOMEM) {
			taint_req(taint, &req);
			/* an eroute that cannot be made again still blocks its traffic */
			if (req.cmd == KLIPS_EROUTE && !said_is_magic(&req.er.said)) {
				struct strbuf o2 = STRBUF_INIT;

				said_parse("%drop", &req.er.said, NULL, 0);
				if (klips_rt_apply(k, file, &req, &o2) == 0)
					strbuf_printf(notes, "runtime:%u: eroute => %%drop: its SA could "
						      "not be found again\n", no);
				strbuf_free(&o2);
			}
		}
	} else if (has_key_word(argv, argc)) {
		strbuf_puts(&out, "runtime: not a valid line (not shown: it holds a key)\n");
	} else {
		strbuf_puts(&out, msg.err[0] ? msg.err : "runtime: nothing to change\n");
	}
	OPENSSL_cleanse(&msg, sizeof(msg));
	klips_req_wipe(&req);
	if (r == -ENOMEM) {
		strbuf_free(&out);
		strbuf_free(&ignored);
		return r;
	}
	if (r < 0) {
		/* "runtime: text\n" lines: numbered */
		for (char *m = out.s, *nl; m && *m; m = nl + 1) {
			nl = strchr(m, '\n');
			if (!nl)
				break;
			*nl = '\0';
			strbuf_printf(notes, "runtime:%u: %s\n", no,
				      strncmp(m, "runtime: ", 9) ? m : m + 9);
		}
	}
	strbuf_free(&out);
	strbuf_free(&ignored);
	return r < 0;
}

int klips_rt_load(struct klips_rt *k, const struct cfg *file, const char *text,
		  struct strbuf *notes)
{
	char *copy = strdup(text), *line, *nl;
	struct taint taint = { NULL, 0, false };
	unsigned no = 0;
	int left = 0, r;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		no++;
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		/* a file of junk must not make a note (and a log line) of each */
		r = load_line(k, file, line, no, left < LOAD_NOTES ? notes : NULL, &taint);
		if (taint.oom)
			r = -ENOMEM;
		if (r < 0) {
			left = r;
			break;
		}
		left += r;
	}
	if (left > LOAD_NOTES)
		strbuf_printf(notes, "runtime: %d more line(s) left out\n", left - LOAD_NOTES);
	OPENSSL_cleanse(copy, strlen(text));
	free(copy);
	free(taint.s);
	return left;
}
