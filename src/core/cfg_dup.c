/* cfg_dup.c: a deep copy of a parsed config (cfg.h), for the config the
 * model is built from when runtime objects are added to the file's. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int cfg_reindex(struct cfg *d)
{
	if (d->sa_index) {
		hidx_free(&d->sa_index->x);
		free(d->sa_index);
	}
	d->sa_index = calloc(1, sizeof(*d->sa_index));
	if (!d->sa_index || hidx_init(&d->sa_index->x, d->nsa) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < d->nsa; i++)
		if (hidx_put(&d->sa_index->x, cfgp_said_hash(&d->sa[i].said), i) < 0)
			return -ENOMEM;
	return 0;
}

struct cfg *cfg_dup(const struct cfg *c)
{
	struct cfg *d = calloc(1, sizeof(*d));
	size_t i;

	if (!d)
		return NULL;
	*d = *c;
	d->path = d->mount = d->control = d->state_dir = d->secrets = NULL;
	d->control_group = d->tun_device = NULL;
	d->sa = NULL;
	d->group = NULL;
	d->nsa = d->ngroup = 0;
	d->sa_index = NULL;
	if (dup_str(&d->path, c->path) || dup_str(&d->mount, c->mount) ||
	    dup_str(&d->control, c->control) || dup_str(&d->state_dir, c->state_dir) ||
	    dup_str(&d->secrets, c->secrets) || dup_str(&d->control_group, c->control_group) ||
	    dup_str(&d->tun_device, c->tun_device))
		goto oom;
	d->sa = calloc(c->nsa + 1, sizeof(*d->sa));
	d->group = calloc(c->ngroup + 1, sizeof(*d->group));
	if (!d->sa || !d->group)
		goto oom;
	for (i = 0; i < c->nsa; i++) {
		d->sa[i] = c->sa[i];
		d->sa[i].enckey = (struct cfg_key){ NULL, 0 };
		d->sa[i].authkey = (struct cfg_key){ NULL, 0 };
		d->nsa = i + 1;
		if (cfg_key_copy(&d->sa[i].enckey, &c->sa[i].enckey) < 0 ||
		    cfg_key_copy(&d->sa[i].authkey, &c->sa[i].authkey) < 0)
			goto oom;
	}
	for (i = 0; i < c->ngroup; i++) {
		d->group[i] = c->group[i];
		d->group[i].name = NULL;
		d->ngroup = i + 1;
		if (dup_str(&d->group[i].name, c->group[i].name))
			goto oom;
	}
	if (cfg_reindex(d) < 0)
		goto oom;
	return d;
oom:
	cfg_free(d);
	return NULL;
}
