/* sysdiag.c - iOS sysdiagnose archives and folders.
 *
 * A sysdiagnose is one device.  Its root folder is found by the members
 * it always has (sysdiagnose.log, remotectl_dumpstate.txt, ioreg/, logs/,
 * crashes_and_spins/), not by its name, since roots get renamed and nest
 * inside ticket bundles.  Identity files and ioreg dumps are parsed here;
 * each OTAUpdate-*.ips report becomes one session: its JSON header gives
 * the result, its scrubbed device restore log goes through the ordinary
 * rules.  Sessions are held until the whole archive is read, because the
 * identity may come after the report in the stream. */
#include "err53/sysdiag.h"
#include "err53/lines.h"

#include <errno.h>
#include <plist/plist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROOTS 16
#define MAX_IPS E53_MAX_HELD
#define MAX_PLIST_NODES 200000   /* objects a plist may expand to in libplist */
#define MAX_WARN 8
#define MAX_PANICS 8

enum member_kind {
	MK_NONE, MK_REMOTECTL, MK_SYSVERSION, MK_DEVICETREE, MK_IOSERVICE, MK_MOBILEACT,
	MK_LOCKDOWN, MK_OTA, MK_PANIC, MK_SDLOG,
};

struct ips {
	char member[512];
	long restore_error;
	bool has_error;
	char os_version[48];
	char payload[24];
	char when[40];
};

struct root {
	char prefix[512];        /* path of the root ("" for a folder input's own root) */
	char origin[512];        /* o->path of its members: the archive, or a file */
	bool archived;           /* origin is an archive holding the root */
	bool full_warned;
	bool in_progress;
	bool warned;
	char serial[32], udid[48], product_type[24], hw_model[20];
	char build[20], version[20];
	/* rank of the source of each identity field (remotectl 4,
	 * SystemVersion 3, ioreg 2, logs 1); a later line of the same rank
	 * replaces an earlier one, so the last boot in a log wins */
	unsigned char rk_serial, rk_udid, rk_product, rk_hw, rk_build, rk_version;
	bool devicetree_seen, mesa_node, ioservice_seen, bio_driver;
	uint64_t mesa_line;
	char mesa_text[200];
	char mesa_member[512];
	struct e53_history hist[E53_MAX_HISTORY];
	unsigned nhist;
	struct ips ips[MAX_IPS];
	unsigned nips;
	struct { char when[40]; char process[32]; } panics[MAX_PANICS];
	unsigned npanics;
};

struct e53_sysdiag {
	const struct e53_limits *lim;
	struct root *roots[MAX_ROOTS];
	unsigned nroots;
	bool roots_warned;
	/* the member being read */
	struct root *cur;
	enum member_kind kind;
	char member[512];
	char rel[512];           /* member, relative to the input for folders */
	char path[512];          /* the file being read (an archive or a folder's file) */
	bool has_member;
	struct e53_lines lines;  /* for the line-oriented identity files */
	struct e53_buf blob;     /* plists and panic reports */
	bool blob_over;
	bool in_startup;         /* inside the mobileactivationd startup block */
	bool remotectl_other;    /* inside a block about another device */
	struct e53_sysdiag_msg msgs[MAX_WARN];
	unsigned nwarn, warn_read;
};

static const struct {
	const char *suffix;      /* path below the root */
	bool prefix_match;       /* suffix is a prefix of the rest */
	enum member_kind kind;
} known[] = {
	{ "sysdiagnose.log", false, MK_SDLOG },
	{ "remotectl_dumpstate.txt", false, MK_REMOTECTL },
	{ "logs/SystemVersion/SystemVersion.plist", false, MK_SYSVERSION },
	{ "ioreg/IODeviceTree.txt", false, MK_DEVICETREE },
	{ "ioreg/IOService.txt", false, MK_IOSERVICE },
	{ "logs/MobileActivation/mobileactivationd.log", true, MK_MOBILEACT },
	{ "logs/MobileLockdown/lockdownd.log", true, MK_LOCKDOWN },
	{ "crashes_and_spins/OTAUpdate-", true, MK_OTA },
	{ "crashes_and_spins/panic-full-", true, MK_PANIC },
	{ "crashes_and_spins/Panics/", true, MK_PANIC },
};

/* Directories below a root whose other members we never need. */
static const char *const root_dirs[] = {
	"logs/", "ioreg/", "crashes_and_spins/", "system_logs.logarchive/", "summaries/",
	"WiFi/", "Preferences/", "brctl/", "tailspindb/", "mobilebackup/", "spindump",
};

/* A message about the archive; error: something was refused (exit 2). */
static void note(struct e53_sysdiag *sd, bool error, const char *path, const char *member,
		 const char *text)
{
	struct e53_sysdiag_msg *m;

	if (sd->nwarn == MAX_WARN)
		return;
	m = &sd->msgs[sd->nwarn++];
	m->error = error;
	e53_scpy(m->path, sizeof m->path, path ? path : "");
	m->has_member = member != NULL;
	e53_scpy(m->member, sizeof m->member, member ? member : "");
	e53_scpy(m->text, sizeof m->text, text);
}

bool e53_sysdiag_seen(const struct e53_sysdiag *sd)
{
	return sd->nroots != 0;
}

const struct e53_sysdiag_msg *e53_sysdiag_message(struct e53_sysdiag *sd)
{
	if (sd->warn_read < sd->nwarn)
		return &sd->msgs[sd->warn_read++];
	sd->nwarn = sd->warn_read = 0;
	return NULL;
}

static void on_id_line(void *ctx, const char *line, size_t len, uint64_t lineno);

struct e53_sysdiag *e53_sysdiag_new(const struct e53_limits *lim)
{
	struct e53_sysdiag *sd = calloc(1, sizeof *sd);

	if (!sd)
		return NULL;
	sd->lim = lim;
	e53_buf_init(&sd->blob, 0);
	if (e53_lines_init(&sd->lines, 4096, on_id_line, sd)) {
		free(sd);
		return NULL;
	}
	return sd;
}

static void free_roots(struct e53_sysdiag *sd)
{
	unsigned i;

	for (i = 0; i < sd->nroots; i++)
		free(sd->roots[i]);
	sd->nroots = 0;
}

void e53_sysdiag_free(struct e53_sysdiag **psd)
{
	struct e53_sysdiag *sd = *psd;

	if (!sd)
		return;
	free_roots(sd);
	e53_lines_release(&sd->lines);
	e53_buf_release(&sd->blob);
	free(sd);
	*psd = NULL;
}

void e53_sysdiag_reset(struct e53_sysdiag *sd, const char *input)
{
	(void)input;
	free_roots(sd);
	sd->roots_warned = false;
	sd->cur = NULL;
	sd->kind = MK_NONE;
	sd->nwarn = sd->warn_read = 0;
}

/* The member's full name: the archive member, or the file path for folders. */
static const char *full_name(const struct e53_origin *o)
{
	return o->member ? o->member : o->path;
}

/* Finds the root: the part of the name before a known sysdiagnose path. */
static enum member_kind classify(const char *name, char *root, size_t cap, bool *below_root)
{
	size_t i, k, n = strlen(name);

	*below_root = false;
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		const char *hit = name;

		while ((hit = strstr(hit, known[i].suffix)) != NULL) {
			size_t off = (size_t)(hit - name);
			size_t sl = strlen(known[i].suffix);

			if ((off == 0 || name[off - 1] == '/') &&
			    (known[i].prefix_match ? true : off + sl == n)) {
				snprintf(root, cap, "%.*s", (int)off, name);
				return known[i].kind;
			}
			hit++;
		}
	}
	/* a member of a root we know of, but not one we read */
	for (k = 0; k < sizeof root_dirs / sizeof root_dirs[0]; k++) {
		const char *hit = strstr(name, root_dirs[k]);

		if (hit && (hit == name || hit[-1] == '/') && strstr(name, "sysdiagnose")) {
			snprintf(root, cap, "%.*s", (int)(hit - name), name);
			*below_root = true;
			return MK_NONE;
		}
	}
	return MK_NONE;
}

static bool is_in_progress(const char *root)
{
	const char *p = root;
	const char *last = root;

	/* the root's own name: the last component of the prefix */
	while ((p = strchr(p, '/')) != NULL) {
		if (p[1])
			last = p + 1;
		p++;
	}
	return !strncmp(last, "IN_PROGRESS_", 12) || strstr(root, "/IN_PROGRESS_sysdiagnose") ||
	       !strncmp(root, "IN_PROGRESS_sysdiagnose", 23);
}

static struct root *get_root(struct e53_sysdiag *sd, const char *prefix, const char *origin,
			     bool archived)
{
	unsigned i;
	struct root *r;

	for (i = 0; i < sd->nroots; i++)
		if (!strcmp(sd->roots[i]->prefix, prefix))
			return sd->roots[i];
	if (sd->nroots == MAX_ROOTS) {
		if (!sd->roots_warned) {
			char msg[160];

			sd->roots_warned = true;
			snprintf(msg, sizeof msg, "more than %d sysdiagnose trees in one input; the rest were skipped",
				 MAX_ROOTS);
			note(sd, true, origin, archived ? prefix : NULL, msg);
		}
		return NULL;
	}
	r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	sd->roots[sd->nroots++] = r;
	e53_scpy(r->prefix, sizeof r->prefix, prefix);
	e53_scpy(r->origin, sizeof r->origin, origin);
	r->archived = archived;
	r->in_progress = is_in_progress(prefix);
	return r;
}

bool e53_sysdiag_want(struct e53_sysdiag *sd, const struct e53_origin *o)
{
	char root[512];
	bool below;
	enum member_kind k = classify(full_name(o), root, sizeof root, &below);
	struct root *r;

	const char *name = full_name(o);
	const char *ip = strstr(name, "IN_PROGRESS_sysdiagnose");

	if (ip && (ip == name || ip[-1] == '/') && strchr(ip, '/')) {
		/* any file of an interrupted tree, known or not */
		snprintf(root, sizeof root, "%.*s", (int)(strchr(ip, '/') + 1 - name), name);
		k = MK_SDLOG;
	}
	if (k == MK_NONE && !below)
		return true;
	r = get_root(sd, root, o->path, o->member != NULL);
	if (!r)
		return false;
	if (r->in_progress) {
		if (!r->warned) {
			r->warned = true;
			note(sd, false, o->member ? o->path : root, o->member ? root : NULL,
			     "an interrupted sysdiagnose (IN_PROGRESS_): its files may be cut anywhere; skipped");
		}
		return false;
	}
	if (k == MK_OTA && r->nips >= MAX_IPS) {
		if (!r->full_warned) {
			char msg[160];

			r->full_warned = true;
			snprintf(msg, sizeof msg, "more than %d OTAUpdate reports in one sysdiagnose; the rest were skipped",
				 MAX_IPS);
			note(sd, true, o->path, o->member ? root : NULL, msg);
		}
		return false;
	}
	return k != MK_NONE;
}

bool e53_sysdiag_member_begin(struct e53_sysdiag *sd, const struct e53_origin *o,
			      struct e53_builder *b)
{
	char root[512];
	bool below;
	enum member_kind k = classify(full_name(o), root, sizeof root, &below);

	sd->kind = MK_NONE;
	sd->cur = NULL;
	if (k == MK_NONE)
		return false;
	sd->cur = get_root(sd, root, o->path, o->member != NULL);
	if (!sd->cur || sd->cur->in_progress)
		return false;
	sd->kind = k;
	e53_scpy(sd->member, sizeof sd->member, full_name(o));
	e53_scpy(sd->path, sizeof sd->path, o->path);
	sd->has_member = o->member != NULL;
	{
		/* folders: name members relative to the input, as sessions do */
		const char *rel = o->member;
		size_t il = strlen(o->input);

		if (!rel) {
			rel = o->path;
			if (!strncmp(rel, o->input, il))
				rel += il;
			while (*rel == '/')
				rel++;
		}
		e53_scpy(sd->rel, sizeof sd->rel, rel);
	}
	sd->in_startup = false;
	sd->remotectl_other = false;
	e53_buf_reset(&sd->blob);
	sd->blob_over = false;
	if (k == MK_OTA) {
		struct root *r = sd->cur;

		if (r->nips < MAX_IPS) {
			struct ips *ip = &r->ips[r->nips++];

			memset(ip, 0, sizeof *ip);
			e53_scpy(ip->member, sizeof ip->member, full_name(o));
		}
		/* one session per report, held until the archive is read;
		 * a folder's files are named by path: the root is the input */
		e53_builder_set_family(b, E53_FAM_SYSDIAGNOSE);
		e53_builder_begin(b, o->member ? o->path : o->input, sd->rel);
		e53_builder_new_session(b);
	}
	return true;
}

/* "key":"value" in a flat JSON object (the .ips header line). */
static bool json_str(const char *line, size_t len, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p, *end = line + len;
	size_t n = 0;

	snprintf(pat, sizeof pat, "\"%s\"", key);
	p = memmem(line, len, pat, strlen(pat));
	if (!p)
		return false;
	p += strlen(pat);
	while (p < end && (*p == ' ' || *p == ':'))
		p++;
	if (p < end && *p == '"') {
		p++;
		while (p < end && *p != '"' && n + 1 < cap) {
			if (*p == '\\' && p + 1 < end)
				p++;
			out[n++] = *p++;
		}
	} else {
		while (p < end && *p != ',' && *p != '}' && n + 1 < cap)
			out[n++] = *p++;
	}
	out[n] = '\0';
	return true;
}

e53_status e53_ips_parse_header(const char *line, size_t len, struct e53_ips_header *h)
{
	char v[64];

	memset(h, 0, sizeof *h);
	h->restore_error = -1;
	if (!len || line[0] != '{' || !memchr(line, '"', len))
		return E53_EINVAL;
	json_str(line, len, "bug_type", h->bug_type, sizeof h->bug_type);
	if (json_str(line, len, "restore_error", v, sizeof v)) {
		char *e;
		long c;

		errno = 0;
		c = strtol(v, &e, 10);
		if (e != v && !*e && !errno && c != -1 && c > -100000 && c < 100000) {
			h->restore_error = c;
			h->has_error = true;
		}
	}
	json_str(line, len, "os_version", h->os_version, sizeof h->os_version);
	json_str(line, len, "restore_payload_version", h->payload, sizeof h->payload);
	json_str(line, len, "timestamp", h->when, sizeof h->when);
	json_str(line, len, "restore_type", h->restore_type, sizeof h->restore_type);
	return E53_OK;
}

/* The .ips report's first line: returns true when consumed here. */
bool e53_sysdiag_line(struct e53_sysdiag *sd, const char *line, size_t len, uint64_t lineno)
{
	struct ips *ip;
	struct e53_ips_header h;

	if (sd->kind != MK_OTA || lineno != 1 || !sd->cur || !sd->cur->nips)
		return false;
	if (e53_ips_parse_header(line, len, &h))
		return false;
	ip = &sd->cur->ips[sd->cur->nips - 1];
	ip->has_error = h.has_error;
	ip->restore_error = h.restore_error;
	e53_scpy(ip->os_version, sizeof ip->os_version, h.os_version);
	e53_scpy(ip->payload, sizeof ip->payload, h.payload);
	e53_scpy(ip->when, sizeof ip->when, h.when);
	return true;
}

/* Sets an identity field from a source of the given rank: a better source
 * replaces a worse one, and a later line of the same source replaces an
 * earlier one (the last boot of a log is the current system). */
static void set_id(char *dst, size_t cap, unsigned char *have, unsigned rank, const char *src, size_t n)
{
	if (dst[0] && rank < *have)
		return;
	while (n && (src[n - 1] == ' ' || src[n - 1] == '\t' || src[n - 1] == '"' || src[n - 1] == '>'))
		n--;
	while (n && (*src == ' ' || *src == '\t' || *src == '"' || *src == '<')) {
		src++;
		n--;
	}
	if (!n)
		return;
	snprintf(dst, cap, "%.*s", (int)n, src);
	*have = (unsigned char)rank;
}

enum { RK_LOG = 1, RK_IOREG = 2, RK_SYSVERSION = 3, RK_REMOTECTL = 4 };

/* "<tabs>Key => value": the key must be the whole first word */
static const char *kv_value(const char *line, size_t len, const char *key, size_t *vn)
{
	const char *p = line, *end = line + len;
	size_t kl = strlen(key);

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < kl + 4 || memcmp(p, key, kl) || memcmp(p + kl, " => ", 4))
		return NULL;
	p += kl + 4;
	*vn = (size_t)(end - p);
	return p;
}

/* Value after "KEY" and a separator (" => ", ": ", " = "). */
static const char *after(const char *line, size_t len, const char *key, size_t *vn)
{
	const char *p = memmem(line, len, key, strlen(key));
	const char *end = line + len;

	if (!p)
		return NULL;
	p += strlen(key);
	while (p < end && (*p == ' ' || *p == '=' || *p == '>' || *p == ':' || *p == '\t'))
		p++;
	*vn = (size_t)(end - p);
	return p;
}

static void add_history(struct root *r, const char *from, size_t fn, const char *to, size_t tn,
			const char *when, size_t wn, const char *source)
{
	struct e53_history *h;
	unsigned i;

	for (i = 0; i < r->nhist; i++)
		if (strlen(r->hist[i].to) == tn && !memcmp(r->hist[i].to, to, tn) &&
		    strlen(r->hist[i].from) == fn && !memcmp(r->hist[i].from, from, fn))
			return;
	if (r->nhist == E53_MAX_HISTORY) {
		memmove(r->hist, r->hist + 1, sizeof r->hist[0] * (E53_MAX_HISTORY - 1));
		r->nhist--;
	}
	h = &r->hist[r->nhist++];
	memset(h, 0, sizeof *h);
	snprintf(h->from, sizeof h->from, "%.*s", (int)fn, from);
	snprintf(h->to, sizeof h->to, "%.*s", (int)tn, to);
	snprintf(h->when, sizeof h->when, "%.*s", (int)(wn < sizeof h->when ? wn : sizeof h->when - 1), when);
	e53_scpy(h->source, sizeof h->source, source);
}

static void on_id_line(void *ctx, const char *line, size_t len, uint64_t lineno)
{
	struct e53_sysdiag *sd = ctx;
	struct root *r = sd->cur;
	const char *v;
	size_t vn;

	if (!r)
		return;
	switch (sd->kind) {
	case MK_REMOTECTL:
		/* only the "Local device" block; "Found ..." blocks, before or
		 * after it, are other devices */
		if (len >= 6 && !memcmp(line, "Found ", 6))
			sd->remotectl_other = true;
		else if (len >= 12 && !memcmp(line, "Local device", 12))
			sd->remotectl_other = false;
		if (sd->remotectl_other)
			return;
		if ((v = kv_value(line, len, "SerialNumber", &vn)))
			set_id(r->serial, sizeof r->serial, &r->rk_serial, RK_REMOTECTL, v, vn);
		else if ((v = kv_value(line, len, "UniqueDeviceID", &vn)))
			set_id(r->udid, sizeof r->udid, &r->rk_udid, RK_REMOTECTL, v, vn);
		else if ((v = kv_value(line, len, "ProductType", &vn)))
			set_id(r->product_type, sizeof r->product_type, &r->rk_product, RK_REMOTECTL, v, vn);
		else if ((v = kv_value(line, len, "BuildVersion", &vn)))
			set_id(r->build, sizeof r->build, &r->rk_build, RK_REMOTECTL, v, vn);
		else if ((v = kv_value(line, len, "OSVersion", &vn)))
			set_id(r->version, sizeof r->version, &r->rk_version, RK_REMOTECTL, v, vn);
		else if ((v = kv_value(line, len, "HWModelStr", &vn)))
			set_id(r->hw_model, sizeof r->hw_model, &r->rk_hw, RK_REMOTECTL, v, vn);
		break;
	case MK_DEVICETREE:
		r->devicetree_seen = true;
		if ((v = after(line, len, "\"IOPlatformSerialNumber\"", &vn)))
			set_id(r->serial, sizeof r->serial, &r->rk_serial, RK_IOREG, v, vn);
		else if ((v = after(line, len, "\"model\"", &vn)) && memchr(v, ',', vn))
			set_id(r->product_type, sizeof r->product_type, &r->rk_product, RK_IOREG, v, vn);
		if (!r->mesa_node && (memmem(line, len, "+-o mesa ", 9) || memmem(line, len, "\"biosensor,mesa\"", 16))) {
			r->mesa_node = true;
			r->mesa_line = lineno;
			snprintf(r->mesa_text, sizeof r->mesa_text, "%.*s", (int)(len < 199 ? len : 199), line);
			e53_scpy(r->mesa_member, sizeof r->mesa_member, sd->rel);
		}
		break;
	case MK_IOSERVICE:
		r->ioservice_seen = true;
		if (memmem(line, len, "<class AppleBiometricSensor", 27) ||
		    memmem(line, len, "<class AppleMesaSEPDriver", 25) ||
		    memmem(line, len, "<class AppleBiometricServices", 29))
			r->bio_driver = true;
		if ((v = after(line, len, "\"IOPlatformSerialNumber\"", &vn)))
			set_id(r->serial, sizeof r->serial, &r->rk_serial, RK_IOREG, v, vn);
		break;
	case MK_MOBILEACT:
		if (memmem(line, len, "Mobile Activation Startup", 25)) {
			sd->in_startup = true;
			return;
		}
		if (sd->in_startup && memmem(line, len, "MA: main: ____", 14)) {
			sd->in_startup = false;
			return;
		}
		if (sd->in_startup) {
			if ((v = after(line, len, "MA: main: product_type", &vn)))
				set_id(r->product_type, sizeof r->product_type, &r->rk_product, RK_LOG, v, vn);
			else if ((v = after(line, len, "MA: main: hardware_model", &vn)))
				set_id(r->hw_model, sizeof r->hw_model, &r->rk_hw, RK_LOG, v, vn);
			else if ((v = after(line, len, "MA: main: build_version", &vn)))
				set_id(r->build, sizeof r->build, &r->rk_build, RK_LOG, v, vn);
		}
		{
			const char *u = memmem(line, len, "Upgrade from ", 13);

			if (u) {
				const char *from = u + 13, *to, *end = line + len, *sp;

				to = memmem(from, (size_t)(end - from), " to ", 4);
				if (to) {
					const char *t = to + 4;

					sp = t;
					while (sp < end && *sp != ' ')
						sp++;
					add_history(r, from[0] == '(' && from[1] == ')' ? from : from,
						    (size_t)(to - from) == 2 && from[0] == '(' ? 0 : (size_t)(to - from),
						    t, (size_t)(sp - t), line, len > 24 ? 24 : len, "mobileactivationd");
				}
			}
		}
		break;
	case MK_LOCKDOWN:
		if ((v = after(line, len, "Build version:", &vn)))
			set_id(r->build, sizeof r->build, &r->rk_build, RK_LOG, v, vn);
		{
			const char *u = memmem(line, len, "Detected upgrade from ", 22);

			if (u) {
				const char *from = u + 22, *end = line + len, *sp = from;

				while (sp < end && *sp != ' ')
					sp++;
				add_history(r, from, !strncmp(from, "(NULL)", 6) ? 0 : (size_t)(sp - from),
					    r->build, strlen(r->build), line, len > 24 ? 24 : len, "lockdownd");
			}
		}
		break;
	default:
		break;
	}
}

bool e53_sysdiag_data(struct e53_sysdiag *sd, const char *p, size_t n)
{
	switch (sd->kind) {
	case MK_NONE:
	case MK_OTA:
		return false;
	case MK_PANIC:
		/* the header and the start of the panic string are enough */
		if (sd->blob.len < 65536)
			e53_buf_add(&sd->blob, p, n < 65536 - sd->blob.len ? n : 65536 - sd->blob.len);
		return true;
	case MK_SYSVERSION:
		if (!sd->blob_over && sd->blob.len + n <= sd->lim->max_plist) {
			e53_buf_add(&sd->blob, p, n);
		} else if (!sd->blob_over) {
			sd->blob_over = true;
			note(sd, true, sd->path, sd->has_member ? sd->member : NULL,
			     "property list larger than the cap (--max-plist-bytes); refused");
		}
		return true;
	case MK_SDLOG:
		return true;
	default:
		e53_lines_feed(&sd->lines, p, n);
		return true;
	}
}

/* Depth of nesting in an XML plist, counting <dict> and <array> outside
 * comments, CDATA, processing instructions and the DOCTYPE (which the
 * parser skips too, so a tag inside them must not count). */
static unsigned xml_depth(const char *p, size_t n, unsigned cap)
{
	unsigned d = 0, max = 0;
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		const char *end;

		if (p[i] != '<')
			continue;
		if (n - i >= 4 && !memcmp(p + i, "<!--", 4)) {
			end = memmem(p + i + 4, n - i - 4, "-->", 3);
			if (!end)
				break;
			i = (size_t)(end - p) + 2;
			continue;
		}
		if (n - i >= 9 && !memcmp(p + i, "<![CDATA[", 9)) {
			end = memmem(p + i + 9, n - i - 9, "]]>", 3);
			if (!end)
				break;
			i = (size_t)(end - p) + 2;
			continue;
		}
		if (p[i + 1] == '?' || p[i + 1] == '!') {
			end = memchr(p + i, '>', n - i);
			if (!end)
				break;
			i = (size_t)(end - p);
			continue;
		}
		if (p[i + 1] == '/') {
			if ((n - i >= 7 && !memcmp(p + i, "</dict>", 7)) || (n - i >= 8 && !memcmp(p + i, "</array>", 8)))
				if (d)
					d--;
			continue;
		}
		if ((n - i >= 5 && !memcmp(p + i, "<dict", 5)) || (n - i >= 6 && !memcmp(p + i, "<array", 6))) {
			const char *gt = memchr(p + i, '>', n - i);

			if (gt && gt[-1] == '/')
				continue; /* <dict/> */
			if (++d > max)
				max = d;
			if (max > cap)
				return max;
		}
	}
	return max;
}

/* &#0; &#x0; (and zero-padded forms): libplist would build a string with a NUL */
static bool xml_nul_entity(const char *p, size_t n)
{
	const char *e = p + n;

	while ((p = memmem(p, (size_t)(e - p), "&#", 2)) != NULL) {
		unsigned long v = 0;
		bool hex = false, digits = false;

		p += 2;
		if (p < e && (*p == 'x' || *p == 'X')) {
			hex = true;
			p++;
		}
		for (; p < e && v < 0x110000; p++) {
			int d = *p >= '0' && *p <= '9' ? *p - '0' : hex && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 :
				hex && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

			if (d < 0)
				break;
			v = v * (hex ? 16 : 10) + (unsigned long)d;
			digits = true;
		}
		if (digits && v == 0)
			return true;
	}
	return false;
}

static uint64_t be_uint(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* The children of object o of a binary plist: refs (ref_size bytes each)
 * and their count; 0 children for scalars.  False if the object is
 * malformed.  Strings are checked for NULs here (libplist 2.2 asserts on a
 * string or key holding one). */
struct bpl {
	const unsigned char *p;
	uint64_t tab, nobj;
	unsigned osz, rsz;
};

static bool bpl_children(const struct bpl *b, uint64_t o, const unsigned char **refs, uint64_t *count,
			 char *msg, size_t mcap)
{
	uint64_t off = be_uint(b->p + b->tab + o * b->osz, b->osz);
	unsigned char marker, type;
	uint64_t n;
	const unsigned char *body;

	*count = 0;
	*refs = NULL;
	if (off < 8 || off >= b->tab) {
		snprintf(msg, mcap, "binary property list with an object outside the data");
		return false;
	}
	marker = b->p[off];
	type = marker >> 4;
	if (type != 0xA && type != 0xD && type != 0xC && type != 0x5 && type != 0x6)
		return true;
	n = marker & 0x0f;
	body = b->p + off + 1;
	if (n == 0x0f) {
		unsigned ib;

		if (off + 2 > b->tab || (b->p[off + 1] >> 4) != 1) {
			snprintf(msg, mcap, "binary property list with a bad length");
			return false;
		}
		ib = 1u << (b->p[off + 1] & 0x0f);
		if (ib > 8 || off + 2 + ib > b->tab) {
			snprintf(msg, mcap, "binary property list with a bad length");
			return false;
		}
		n = be_uint(b->p + off + 2, ib);
		body = b->p + off + 2 + ib;
	}
	if (type == 0x5 || type == 0x6) {
		uint64_t k, width = type == 0x6 ? 2 : 1;

		if (n > b->tab || (uint64_t)(body - b->p) + n * width > b->tab) {
			snprintf(msg, mcap, "binary property list with a string past its end");
			return false;
		}
		for (k = 0; k < n; k++)
			if (width == 1 ? body[k] == 0 : (body[2 * k] == 0 && body[2 * k + 1] == 0)) {
				snprintf(msg, mcap, "binary property list with a NUL inside a string; refused");
				return false;
			}
		return true;
	}
	if (type == 0xD)
		n *= 2;
	if (n > b->nobj * 2 || (uint64_t)(body - b->p) + n * b->rsz > b->tab) {
		snprintf(msg, mcap, "binary property list with references past its end");
		return false;
	}
	*refs = body;
	*count = n;
	return true;
}

/* Walks a binary plist's object graph (without libplist) before libplist
 * sees it: every reference in range, no cycle, containers nested at most
 * maxdepth deep on the LONGEST path (shared references cannot hide depth),
 * and at most MAX_PLIST_NODES objects once libplist has copied the shared
 * ones (a few hundred bytes could otherwise expand to 2^40 nodes).
 * Iterative, linear in the object count. */
static bool bplist_ok(const unsigned char *p, size_t n, unsigned maxdepth, char *msg, size_t mcap)
{
	struct bpl b;
	uint64_t top, i;
	unsigned char *color = NULL;     /* 0 new, 1 on the path, 2 done */
	uint32_t *height = NULL, *size = NULL, *stk = NULL;
	uint64_t *next = NULL;
	size_t sp = 0;
	bool ok = false;

	if (n < 8 + 32) {
		snprintf(msg, mcap, "binary property list too short");
		return false;
	}
	b.p = p;
	b.osz = p[n - 26];
	b.rsz = p[n - 25];
	b.nobj = be_uint(p + n - 24, 8);
	top = be_uint(p + n - 16, 8);
	b.tab = be_uint(p + n - 8, 8);
	if (!b.osz || b.osz > 8 || !b.rsz || b.rsz > 8 || b.nobj == 0 || b.nobj > n || top >= b.nobj ||
	    b.tab < 8 || b.tab > n - 32 || b.nobj > (n - 32 - b.tab) / b.osz) {
		snprintf(msg, mcap, "binary property list with a bad trailer");
		return false;
	}
	color = calloc((size_t)b.nobj, 1);
	height = calloc((size_t)b.nobj, sizeof *height);
	size = calloc((size_t)b.nobj, sizeof *size);
	stk = malloc(((size_t)b.nobj + 1) * sizeof *stk);
	next = malloc(((size_t)b.nobj + 1) * sizeof *next);
	if (!color || !height || !size || !stk || !next) {
		snprintf(msg, mcap, "out of memory");
		goto out;
	}
	stk[sp] = (uint32_t)top;
	next[sp++] = 0;
	color[top] = 1;
	while (sp) {
		uint32_t o = stk[sp - 1];
		const unsigned char *refs;
		uint64_t count;

		if (!bpl_children(&b, o, &refs, &count, msg, mcap))
			goto out;
		if (next[sp - 1] < count) {
			uint64_t r = be_uint(refs + next[sp - 1]++ * b.rsz, b.rsz);

			if (r >= b.nobj) {
				snprintf(msg, mcap, "binary property list with a reference out of range");
				goto out;
			}
			if (color[r] == 1) {
				snprintf(msg, mcap, "binary property list with a reference cycle; refused");
				goto out;
			}
			if (color[r] == 0) {
				if (sp > maxdepth + 1u) {
					snprintf(msg, mcap, "property list nested deeper than %u levels (--max-plist-depth); refused",
						 maxdepth);
					goto out;
				}
				color[r] = 1;
				stk[sp] = (uint32_t)r;
				next[sp++] = 0;
			}
			continue;
		}
		/* all children done: this object's height and expanded size */
		{
			uint32_t h = 0;
			uint64_t sz = 1;

			for (i = 0; i < count; i++) {
				uint64_t r = be_uint(refs + i * b.rsz, b.rsz);

				if (height[r] > h)
					h = height[r];
				sz += size[r];
				if (sz > MAX_PLIST_NODES)
					sz = MAX_PLIST_NODES + 1;
			}
			height[o] = refs ? h + 1 : 0;
			size[o] = (uint32_t)sz;
			color[o] = 2;
			sp--;
		}
	}
	if (height[top] > maxdepth) {
		snprintf(msg, mcap, "property list nested deeper than %u levels (--max-plist-depth); refused", maxdepth);
		goto out;
	}
	if (size[top] > MAX_PLIST_NODES) {
		snprintf(msg, mcap, "property list expands to more than %d objects; refused", MAX_PLIST_NODES);
		goto out;
	}
	ok = true;
out:
	free(color);
	free(height);
	free(size);
	free(stk);
	free(next);
	return ok;
}

e53_status e53_plist_strings(const char *data, size_t len, const struct e53_limits *lim,
			     struct e53_kv *out, size_t cap, size_t *n, char *msg, size_t msgcap)
{
	plist_t root = NULL;
	plist_dict_iter it = NULL;
	bool binary = len >= 8 && !memcmp(data, "bplist00", 8);
	unsigned maxdepth = lim->max_plist_depth > 250 ? 250 : lim->max_plist_depth;

	*n = 0;
	if (len > lim->max_plist) {
		snprintf(msg, msgcap, "property list larger than %zu bytes (--max-plist-bytes); refused", lim->max_plist);
		return E53_ETOOBIG;
	}
	if (binary) {
		if (!bplist_ok((const unsigned char *)data, len, maxdepth, msg, msgcap))
			return E53_ECORRUPT;
		plist_from_bin(data, (uint32_t)len, &root);
	} else {
		if (memchr(data, '\0', len) || xml_nul_entity(data, len)) {
			snprintf(msg, msgcap, "XML property list with a NUL character; refused");
			return E53_ECORRUPT;
		}
		if (xml_depth(data, len, maxdepth) > maxdepth) {
			snprintf(msg, msgcap, "property list nested deeper than %u levels (--max-plist-depth); refused", maxdepth);
			return E53_ELIMIT;
		}
		plist_from_xml(data, (uint32_t)len, &root);
	}
	if (!root) {
		snprintf(msg, msgcap, "not a valid property list");
		return E53_ECORRUPT;
	}
	if (plist_get_node_type(root) == PLIST_DICT) {
		plist_dict_new_iter(root, &it);
		while (it && *n < cap) {
			char *key = NULL;
			plist_t val = NULL;

			plist_dict_next_item(root, it, &key, &val);
			if (!key)
				break;
			if (val && plist_get_node_type(val) == PLIST_STRING) {
				/* plist_get_string_val asserts on an embedded NUL:
				 * read the pointer and length instead */
				uint64_t slen = 0;
				const char *sv = plist_get_string_ptr(val, &slen);

				if (sv) {
					size_t k = (size_t)(slen < sizeof out[0].val - 1 ? slen : sizeof out[0].val - 1);

					e53_scpy(out[*n].key, sizeof out[*n].key, key);
					memcpy(out[*n].val, sv, k);
					out[*n].val[k] = '\0';
					(*n)++;
				}
			}
			free(key);
		}
		free(it);
	}
	plist_free(root);
	return E53_OK;
}

static void read_panic(struct e53_sysdiag *sd)
{
	struct root *r = sd->cur;
	const char *p = sd->blob.data;
	size_t len = sd->blob.len;
	const char *nl;
	char bug[16] = "", when[40] = "", proc[64] = "";

	if (!p || !r || r->npanics == MAX_PANICS)
		return;
	nl = memchr(p, '\n', len);
	if (!json_str(p, nl ? (size_t)(nl - p) : len, "bug_type", bug, sizeof bug) || strcmp(bug, "210"))
		return;
	json_str(p, nl ? (size_t)(nl - p) : len, "timestamp", when, sizeof when);
	{
		/* "panicString":"... Panicked task 0x..: pid 123: name ..." */
		const char *pid = memmem(p, len, "Panicked task", 13);

		if (pid) {
			const char *c = memmem(pid, (size_t)(p + len - pid) > 200 ? 200 : (size_t)(p + len - pid), "pid ", 4);

			if (c) {
				const char *s = memchr(c, ':', (size_t)(p + len - c) > 20 ? 20 : (size_t)(p + len - c));
				size_t k = 0;

				if (s) {
					s++;
					while (*s == ' ')
						s++;
					while (s + k < p + len && k + 1 < sizeof proc && s[k] != ' ' && s[k] != '\\' && s[k] != '"')
						k++;
					snprintf(proc, sizeof proc, "%.*s", (int)k, s);
				}
			}
		}
	}
	e53_scpy(r->panics[r->npanics].when, sizeof r->panics[0].when, when);
	e53_scpy(r->panics[r->npanics].process, sizeof r->panics[0].process, proc);
	r->npanics++;
}

bool e53_sysdiag_member_end(struct e53_sysdiag *sd, struct e53_builder *b)
{
	struct root *r = sd->cur;

	if (sd->kind == MK_NONE)
		return false;
	e53_lines_finish(&sd->lines);
	if (sd->kind == MK_SYSVERSION && r && !sd->blob_over) {
		struct e53_kv kv[32];
		size_t n = 0, i;
		char msg[200];

		if (e53_plist_strings(sd->blob.data ? sd->blob.data : "", sd->blob.len, sd->lim, kv, 32, &n,
				      msg, sizeof msg)) {
			note(sd, true, sd->path, sd->has_member ? sd->member : NULL, msg);
		} else {
			for (i = 0; i < n; i++) {
				if (!strcmp(kv[i].key, "ProductBuildVersion"))
					set_id(r->build, sizeof r->build, &r->rk_build, RK_SYSVERSION, kv[i].val,
					       strlen(kv[i].val));
				else if (!strcmp(kv[i].key, "ProductVersion"))
					set_id(r->version, sizeof r->version, &r->rk_version, RK_SYSVERSION, kv[i].val,
					       strlen(kv[i].val));
			}
		}
	}
	if (sd->kind == MK_PANIC)
		read_panic(sd);
	if (sd->kind == MK_OTA)
		e53_builder_hold(b);
	sd->kind = MK_NONE;
	sd->cur = NULL;
	return true;
}

void e53_sysdiag_finish(struct e53_sysdiag *sd, struct e53_builder *b)
{
	unsigned i;

	for (i = 0; i < sd->nroots; i++) {
		struct root *r = sd->roots[i];

		if (!r->in_progress && !r->nips && (r->product_type[0] || r->build[0]))
			note(sd, false, r->archived ? r->origin : (r->prefix[0] ? r->prefix : r->origin),
			     r->archived ? r->prefix : NULL,
			     "sysdiagnose holds no OTAUpdate report: no failed update recorded on this device");
	}
	e53_builder_release(b);
}

static struct root *root_of(struct e53_sysdiag *sd, const struct e53_session *s, struct ips **ipp)
{
	unsigned i, j;

	for (i = 0; i < sd->nroots; i++)
		for (j = 0; j < sd->roots[i]->nips; j++) {
			const char *m = sd->roots[i]->ips[j].member;
			size_t ml = strlen(m), sl = strlen(s->member);

			/* folders: the session's member is relative to the input */
			if (!strcmp(m, s->member) || (ml > sl && sl && !strcmp(m + ml - sl, s->member) && m[ml - sl - 1] == '/')) {
				*ipp = &sd->roots[i]->ips[j];
				return sd->roots[i];
			}
		}
	return NULL;
}

void e53_sysdiag_apply(struct e53_sysdiag *sd, struct e53_session *s)
{
	struct ips *ip = NULL;
	struct root *r;
	unsigned i;

	if (s->family != E53_FAM_SYSDIAGNOSE)
		return;
	r = root_of(sd, s, &ip);
	if (!r)
		return;
#define FILL(dst, src) if (!dst[0] && src[0]) e53_scpy(dst, sizeof dst, src)
	FILL(s->serial, r->serial);
	FILL(s->udid, r->udid);
	FILL(s->product_type, r->product_type);
	FILL(s->hw_model, r->hw_model);
#undef FILL
	for (i = 0; s->hw_model[i]; i++)
		s->hw_model[i] = (char)(s->hw_model[i] >= 'A' && s->hw_model[i] <= 'Z' ? s->hw_model[i] + 32 : s->hw_model[i]);
	if (ip) {
		/* "iPhone OS 9.2 (13C75)": version and build of the running system */
		const char *lp = strrchr(ip->os_version, '(');
		const char *sp = strstr(ip->os_version, "OS ");

		if (lp && !s->current_build[0])
			snprintf(s->current_build, sizeof s->current_build, "%.*s",
				 (int)strcspn(lp + 1, ")"), lp + 1);
		if (sp && !s->current_version[0])
			snprintf(s->current_version, sizeof s->current_version, "%.*s",
				 (int)strcspn(sp + 3, " ("), sp + 3);
		/* an OTAUpdate report is an over-the-air update */
		if (!s->behavior[0])
			snprintf(s->behavior, sizeof s->behavior, "update");
		if (ip->payload[0] && !s->target_build[0])
			snprintf(s->target_build, sizeof s->target_build, "%.19s", ip->payload);
		if (ip->has_error && ip->restore_error != 0) {
			/* the report's restore_error is the result of the update */
			s->has_code = true;
			s->code = ip->restore_error < 0 ? -ip->restore_error : ip->restore_error;
			s->code_rank = 20;
			s->final_code = true;
			s->saw_failure = true;
		} else if (ip->has_error) {
			s->saw_success = true;
		}
	}
	if (!s->current_build[0] && r->build[0])
		e53_scpy(s->current_build, sizeof s->current_build, r->build);
	if (!s->current_version[0] && r->version[0])
		e53_scpy(s->current_version, sizeof s->current_version, r->version);
	s->nhist = 0;
	for (i = 0; i < r->nhist; i++)
		s->hist[s->nhist++] = r->hist[i];
	for (i = 0; i < r->npanics && s->nhist < E53_MAX_HISTORY; i++) {
		struct e53_history *h = &s->hist[s->nhist++];

		memset(h, 0, sizeof *h);
		h->panic = true;
		e53_scpy(h->process, sizeof h->process, r->panics[i].process);
		e53_scpy(h->when, sizeof h->when, r->panics[i].when);
		snprintf(h->source, sizeof h->source, "panic report");
	}
	if (r->ioservice_seen && r->devicetree_seen) {
		if (r->bio_driver)
			s->sensor_enumerated = 1;
		else if (r->mesa_node) {
			s->sensor_enumerated = 0;
			e53_session_add_evidence(s, E53_EC_IOREG, r->mesa_line, r->mesa_member, "ioreg-mesa-no-driver",
						 r->mesa_text, strlen(r->mesa_text), false, false);
		}
	}
	e53_finalize(s);
	e53_diagnose(s);
}
