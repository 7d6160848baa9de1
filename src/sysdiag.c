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

#define MAX_ROOTS 4
#define MAX_IPS 16
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
	bool in_progress;
	bool warned;
	char serial[32], udid[48], product_type[24], hw_model[20];
	char build[20], version[20];
	int id_rank;             /* which source gave the identity */
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
	struct root roots[MAX_ROOTS];
	unsigned nroots;
	/* the member being read */
	struct root *cur;
	enum member_kind kind;
	char member[512];
	char loc[1100];          /* "archive:member" or the file, for messages */
	struct e53_lines lines;  /* for the line-oriented identity files */
	struct e53_buf blob;     /* plists and panic reports */
	bool blob_over;
	bool in_startup;         /* inside the mobileactivationd startup block */
	bool remotectl_done;     /* past the local device's block */
	char warn[MAX_WARN][1400];
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

static void warnf(struct e53_sysdiag *sd, const char *fmt, const char *a, const char *b)
{
	if (sd->nwarn == MAX_WARN)
		return;
	snprintf(sd->warn[sd->nwarn++], sizeof sd->warn[0], fmt, a ? a : "", b ? b : "");
}

const char *e53_sysdiag_warning(struct e53_sysdiag *sd)
{
	if (sd->warn_read < sd->nwarn)
		return sd->warn[sd->warn_read++];
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

void e53_sysdiag_free(struct e53_sysdiag **psd)
{
	struct e53_sysdiag *sd = *psd;

	if (!sd)
		return;
	e53_lines_release(&sd->lines);
	e53_buf_release(&sd->blob);
	free(sd);
	*psd = NULL;
}

void e53_sysdiag_reset(struct e53_sysdiag *sd, const char *input)
{
	(void)input;
	memset(sd->roots, 0, sizeof sd->roots);
	sd->nroots = 0;
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
		if (!strcmp(sd->roots[i].prefix, prefix))
			return &sd->roots[i];
	if (sd->nroots == MAX_ROOTS)
		return NULL;
	r = &sd->roots[sd->nroots++];
	memset(r, 0, sizeof *r);
	snprintf(r->prefix, sizeof r->prefix, "%s", prefix);
	snprintf(r->origin, sizeof r->origin, "%s", origin);
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

	if (k == MK_NONE && !below)
		return true;
	r = get_root(sd, root, o->path, o->member != NULL);
	if (r && r->in_progress) {
		if (!r->warned) {
			char loc[1100];

			r->warned = true;
			snprintf(loc, sizeof loc, "%s%s%s", o->member ? o->path : "", o->member ? ":" : "", root);
			warnf(sd, "%s: an interrupted sysdiagnose (IN_PROGRESS_): its files may be cut anywhere; skipped",
			      loc, NULL);
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
	snprintf(sd->member, sizeof sd->member, "%s", full_name(o));
	snprintf(sd->loc, sizeof sd->loc, "%s%s%s", o->path, o->member ? ":" : "", o->member ? o->member : "");
	sd->in_startup = false;
	sd->remotectl_done = false;
	e53_buf_reset(&sd->blob);
	sd->blob_over = false;
	if (k == MK_OTA) {
		struct root *r = sd->cur;

		if (r->nips < MAX_IPS) {
			struct ips *ip = &r->ips[r->nips++];

			memset(ip, 0, sizeof *ip);
			snprintf(ip->member, sizeof ip->member, "%s", full_name(o));
		}
		/* one session per report, held until the archive is read;
		 * a folder's files are named by path: the root is the input */
		{
			const char *rel = o->member;
			size_t il = strlen(o->input);

			if (!rel) {
				rel = o->path;
				if (!strncmp(rel, o->input, il))
					rel += il;
				while (*rel == '/')
					rel++;
			}
			e53_builder_set_family(b, E53_FAM_SYSDIAGNOSE);
			e53_builder_begin(b, o->member ? o->path : o->input, rel);
			e53_builder_new_session(b);
		}
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
	snprintf(ip->os_version, sizeof ip->os_version, "%s", h.os_version);
	snprintf(ip->payload, sizeof ip->payload, "%s", h.payload);
	snprintf(ip->when, sizeof ip->when, "%s", h.when);
	return true;
}

static void set_id(char *dst, size_t cap, const char *src, size_t n, bool over)
{
	if (dst[0] && !over)
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
	snprintf(h->source, sizeof h->source, "%s", source);
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
		/* only the "Local device" block; "Found ..." blocks are other devices */
		if (len >= 6 && !memcmp(line, "Found ", 6))
			sd->remotectl_done = true;
		if (sd->remotectl_done)
			return;
		if ((v = after(line, len, "SerialNumber =>", &vn)))
			set_id(r->serial, sizeof r->serial, v, vn, true);
		else if ((v = after(line, len, "UniqueDeviceID =>", &vn)))
			set_id(r->udid, sizeof r->udid, v, vn, true);
		else if ((v = after(line, len, "ProductType =>", &vn)))
			set_id(r->product_type, sizeof r->product_type, v, vn, true);
		else if ((v = after(line, len, "BuildVersion =>", &vn)))
			set_id(r->build, sizeof r->build, v, vn, true);
		else if ((v = after(line, len, "OSVersion =>", &vn)))
			set_id(r->version, sizeof r->version, v, vn, true);
		else if ((v = after(line, len, "HWModelStr =>", &vn)))
			set_id(r->hw_model, sizeof r->hw_model, v, vn, true);
		break;
	case MK_DEVICETREE:
		r->devicetree_seen = true;
		if ((v = after(line, len, "\"IOPlatformSerialNumber\"", &vn)))
			set_id(r->serial, sizeof r->serial, v, vn, false);
		else if ((v = after(line, len, "\"model\"", &vn)) && memchr(v, ',', vn))
			set_id(r->product_type, sizeof r->product_type, v, vn, false);
		if (!r->mesa_node && (memmem(line, len, "+-o mesa ", 9) || memmem(line, len, "\"biosensor,mesa\"", 16))) {
			r->mesa_node = true;
			r->mesa_line = lineno;
			snprintf(r->mesa_text, sizeof r->mesa_text, "%.*s", (int)(len < 199 ? len : 199), line);
			snprintf(r->mesa_member, sizeof r->mesa_member, "%s", sd->member);
		}
		break;
	case MK_IOSERVICE:
		r->ioservice_seen = true;
		if (memmem(line, len, "<class AppleBiometricSensor", 27) ||
		    memmem(line, len, "<class AppleMesaSEPDriver", 25) ||
		    memmem(line, len, "<class AppleBiometricServices", 29))
			r->bio_driver = true;
		if ((v = after(line, len, "\"IOPlatformSerialNumber\"", &vn)))
			set_id(r->serial, sizeof r->serial, v, vn, false);
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
				set_id(r->product_type, sizeof r->product_type, v, vn, false);
			else if ((v = after(line, len, "MA: main: hardware_model", &vn)))
				set_id(r->hw_model, sizeof r->hw_model, v, vn, false);
			else if ((v = after(line, len, "MA: main: build_version", &vn)))
				set_id(r->build, sizeof r->build, v, vn, false);
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
			set_id(r->build, sizeof r->build, v, vn, false);
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
	case MK_SYSVERSION:
	case MK_PANIC:
		if (!sd->blob_over && sd->blob.len + n <= sd->lim->max_plist) {
			e53_buf_add(&sd->blob, p, n);
		} else if (!sd->blob_over) {
			sd->blob_over = true;
			warnf(sd, "%s: larger than the property-list cap (--max-plist-bytes); not read%s", sd->loc, NULL);
		}
		return true;
	case MK_SDLOG:
		return true;
	default:
		e53_lines_feed(&sd->lines, p, n);
		return true;
	}
}

/* Depth of nesting in an XML plist, counting <dict> and <array>. */
static unsigned xml_depth(const char *p, size_t n, unsigned cap)
{
	unsigned d = 0, max = 0;
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '<')
			continue;
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

/* Walks a binary plist's object graph (without libplist) to check its
 * nesting and that every reference is in range; false if hostile. */
static bool bplist_ok(const unsigned char *p, size_t n, unsigned maxdepth, char *msg, size_t mcap)
{
	unsigned osz, rsz;
	uint64_t nobj, top, tab, i;
	uint32_t *stack = NULL;
	unsigned char *depth = NULL;
	size_t sp = 0, scap;
	bool ok = false;

	if (n < 8 + 32) {
		snprintf(msg, mcap, "binary property list too short");
		return false;
	}
	osz = p[n - 26];
	rsz = p[n - 25];
	nobj = be_uint(p + n - 24, 8);
	top = be_uint(p + n - 16, 8);
	tab = be_uint(p + n - 8, 8);
	if (!osz || osz > 8 || !rsz || rsz > 8 || nobj == 0 || nobj > n || top >= nobj ||
	    tab < 8 || tab > n - 32 || nobj > (n - 32 - tab) / osz) {
		snprintf(msg, mcap, "binary property list with a bad trailer");
		return false;
	}
	scap = (size_t)nobj + 1;
	stack = malloc(scap * sizeof *stack);
	depth = calloc((size_t)nobj, 1);
	if (!stack || !depth) {
		snprintf(msg, mcap, "out of memory");
		goto out;
	}
	/* depth[i]: 0 unvisited, else 1 + depth at first visit; a DAG node is
	 * walked once, so the walk is linear in the object count */
	stack[sp++] = (uint32_t)top;
	depth[top] = 1;
	while (sp) {
		uint32_t o = stack[--sp];
		uint64_t off = be_uint(p + tab + (uint64_t)o * osz, osz);
		unsigned char marker, type;
		uint64_t count;
		const unsigned char *refs;

		if (off < 8 || off >= tab) {
			snprintf(msg, mcap, "binary property list with an object outside the data");
			goto out;
		}
		marker = p[off];
		type = marker >> 4;
		if (type != 0xA && type != 0xD && type != 0xC && type != 0x5 && type != 0x6)
			continue;
		count = marker & 0x0f;
		refs = p + off + 1;
		if (count == 0x0f) {
			unsigned ib;

			if (off + 2 > tab || (p[off + 1] >> 4) != 1) {
				snprintf(msg, mcap, "binary property list with a bad length");
				goto out;
			}
			ib = 1u << (p[off + 1] & 0x0f);
			if (ib > 8 || off + 2 + ib > tab) {
				snprintf(msg, mcap, "binary property list with a bad length");
				goto out;
			}
			count = be_uint(p + off + 2, ib);
			refs = p + off + 2 + ib;
		}
		if (type == 0x5 || type == 0x6) {
			/* libplist 2.2 asserts on a string or key holding a NUL */
			uint64_t k, units = count, width = type == 0x6 ? 2 : 1;

			if (units > tab || (uint64_t)(refs - p) + units * width > tab) {
				snprintf(msg, mcap, "binary property list with a string past its end");
				goto out;
			}
			for (k = 0; k < units; k++)
				if (width == 1 ? refs[k] == 0 : (refs[2 * k] == 0 && refs[2 * k + 1] == 0)) {
					snprintf(msg, mcap, "binary property list with a NUL inside a string; refused");
					goto out;
				}
			continue;
		}
		if (type == 0xD)
			count *= 2;
		if (count > nobj * 2 || (uint64_t)(refs - p) + count * rsz > tab) {
			snprintf(msg, mcap, "binary property list with references past its end");
			goto out;
		}
		if (depth[o] >= maxdepth) {
			snprintf(msg, mcap, "property list nested deeper than %u levels (--max-plist-depth); refused", maxdepth);
			goto out;
		}
		for (i = 0; i < count; i++) {
			uint64_t r = be_uint(refs + i * rsz, rsz);

			if (r >= nobj) {
				snprintf(msg, mcap, "binary property list with a reference out of range");
				goto out;
			}
			if (depth[r])
				continue;
			depth[r] = (unsigned char)(depth[o] + 1);
			if (sp == scap) {
				snprintf(msg, mcap, "binary property list too complex");
				goto out;
			}
			stack[sp++] = (uint32_t)r;
		}
	}
	ok = true;
out:
	free(stack);
	free(depth);
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

					snprintf(out[*n].key, sizeof out[*n].key, "%s", key);
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
	snprintf(r->panics[r->npanics].when, sizeof r->panics[0].when, "%s", when);
	snprintf(r->panics[r->npanics].process, sizeof r->panics[0].process, "%s", proc);
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
			warnf(sd, "%s: %s", sd->loc, msg);
		} else {
			for (i = 0; i < n; i++) {
				if (!strcmp(kv[i].key, "ProductBuildVersion"))
					set_id(r->build, sizeof r->build, kv[i].val, strlen(kv[i].val), false);
				else if (!strcmp(kv[i].key, "ProductVersion"))
					set_id(r->version, sizeof r->version, kv[i].val, strlen(kv[i].val), false);
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
		struct root *r = &sd->roots[i];

		if (!r->in_progress && !r->nips && (r->product_type[0] || r->build[0])) {
			char loc[1100];

			if (r->archived)
				snprintf(loc, sizeof loc, "%s:%s", r->origin, r->prefix);
			else
				snprintf(loc, sizeof loc, "%s", r->prefix[0] ? r->prefix : r->origin);
			warnf(sd, "%s: sysdiagnose holds no OTAUpdate report: no failed update recorded on this device%s",
			      loc, NULL);
		}
	}
	e53_builder_set_family(b, E53_FAM_NONE);
	e53_builder_release(b);
}

static struct root *root_of(struct e53_sysdiag *sd, const struct e53_session *s, struct ips **ipp)
{
	unsigned i, j;

	for (i = 0; i < sd->nroots; i++)
		for (j = 0; j < sd->roots[i].nips; j++) {
			const char *m = sd->roots[i].ips[j].member;
			size_t ml = strlen(m), sl = strlen(s->member);

			/* folders: the session's member is relative to the input */
			if (!strcmp(m, s->member) || (ml > sl && sl && !strcmp(m + ml - sl, s->member) && m[ml - sl - 1] == '/')) {
				*ipp = &sd->roots[i].ips[j];
				return &sd->roots[i];
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
#define FILL(dst, src) if (!dst[0] && src[0]) snprintf(dst, sizeof dst, "%s", src)
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
		snprintf(s->current_build, sizeof s->current_build, "%s", r->build);
	if (!s->current_version[0] && r->version[0])
		snprintf(s->current_version, sizeof s->current_version, "%s", r->version);
	s->nhist = 0;
	for (i = 0; i < r->nhist; i++)
		s->hist[s->nhist++] = r->hist[i];
	for (i = 0; i < r->npanics && s->nhist < E53_MAX_HISTORY; i++) {
		struct e53_history *h = &s->hist[s->nhist++];

		memset(h, 0, sizeof *h);
		h->panic = true;
		snprintf(h->process, sizeof h->process, "%s", r->panics[i].process);
		snprintf(h->when, sizeof h->when, "%s", r->panics[i].when);
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
