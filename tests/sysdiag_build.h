/* sysdiag_build.h - helpers for tests/test_sysdiag.c: build sysdiagnose
 * trees at test time (text members from fixtures/sysdiagnose/, OTAUpdate
 * reports from a header line and a body, SystemVersion.plist through
 * libplist, hand-made hostile plists), pack them with libarchive or write
 * them as folders, run the real pipeline (built-in rules, NDJSON) and read
 * the report back with a small JSON path lookup.
 *
 * Everything is static; include after testutil.h. */
#ifndef ERR53_SYSDIAG_BUILD_H
#define ERR53_SYSDIAG_BUILD_H

#include "testutil.h"

#include <plist/plist.h>

#include "err53/analyze.h"
#include "err53/rules.h"
#include "err53/sysdiag.h"

#define SD_FIXTURES "fixtures/sysdiagnose/"

/* ---- fixtures ---------------------------------------------------------- */

static inline void sd_fixture(const char *name, struct tbuf *out)
{
	char path[512];

	snprintf(path, sizeof path, SD_FIXTURES "%s", name);
	t_slurp(path, out);
}

/* 1-based number of the first line of fixture `name` containing `needle`. */
static inline unsigned sd_fixture_line(const char *name, const char *needle)
{
	struct tbuf b = { 0 };
	const char *p, *hit;
	unsigned line = 1;

	sd_fixture(name, &b);
	hit = strstr((const char *)b.p, needle);
	cr_assert_not_null(hit, "fixture %s has no line with \"%s\"", name, needle);
	for (p = (const char *)b.p; p < hit; p++)
		if (*p == '\n')
			line++;
	tbuf_free(&b);
	return line;
}

/* ---- plists ------------------------------------------------------------ */

/* SystemVersion.plist as libplist writes it (binary or XML). */
static inline void sd_sysversion(struct tbuf *out, bool binary, const char *version, const char *build)
{
	plist_t d = plist_new_dict();
	char *data = NULL;
	uint32_t len = 0;

	plist_dict_set_item(d, "BuildID", plist_new_string("8E0C2A7F-51D3-4B96-A0E4-6F2B9C1D3E58"));
	plist_dict_set_item(d, "ProductBuildVersion", plist_new_string(build));
	plist_dict_set_item(d, "ProductCopyright", plist_new_string("1983-2025 Apple Inc."));
	plist_dict_set_item(d, "ProductName", plist_new_string("iPhone OS"));
	plist_dict_set_item(d, "ProductVersion", plist_new_string(version));
	plist_dict_set_item(d, "ReleaseType", plist_new_string(""));
	plist_dict_set_item(d, "SystemImageID", plist_new_string("D41C7E09-3A58-4F2B-9C6E-18B0A5F7D2C3"));
	if (binary) {
		plist_to_bin(d, &data, &len);
		cr_assert(data && len > 8 && !memcmp(data, "bplist00", 8), "plist_to_bin failed");
		tbuf_add(out, data, len);
		plist_to_bin_free(data);
	} else {
		plist_to_xml(d, &data, &len);
		cr_assert(data && len > 0 && strstr(data, "<plist"), "plist_to_xml failed");
		tbuf_add(out, data, len);
		plist_to_xml_free(data);
	}
	plist_free(d);
}

static inline void sd_be(unsigned char *p, uint64_t v, unsigned n)
{
	while (n--) {
		p[n] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* A hand-made bplist00: n one-element arrays (0xA1 <ref>), array i holding
 * a reference to array i+1, then a terminal empty array; 4-byte refs and
 * offsets.  With step > 0 an extra top-level array references every
 * step-th chain element (a DAG: each chain node is reachable at depth 2,
 * yet the chain below it is still n - i deep). */
static inline void sd_bplist_chain(struct tbuf *out, uint32_t n, uint32_t step)
{
	uint32_t ntop = step ? (n + step - 1) / step : 0;
	uint64_t nobj = (uint64_t)n + 1 + (step ? 1 : 0);
	uint64_t *off = calloc((size_t)nobj, sizeof *off);
	uint64_t top = 0, tab, i;
	unsigned char tmp[32];

	cr_assert_not_null(off);
	tbuf_adds(out, "bplist00");
	for (i = 0; i < n; i++) {
		off[i] = out->len;
		tmp[0] = 0xA1;
		sd_be(tmp + 1, i + 1, 4);
		tbuf_add(out, tmp, 5);
	}
	off[n] = out->len;
	tbuf_addc(out, 0xA0);
	if (step) {
		top = (uint64_t)n + 1;
		off[top] = out->len;
		tmp[0] = 0xAF;  /* array, count follows as an int object */
		tmp[1] = 0x12;  /* int, 4 bytes */
		sd_be(tmp + 2, ntop, 4);
		tbuf_add(out, tmp, 6);
		for (i = 0; i < n; i += step) {
			sd_be(tmp, i, 4);
			tbuf_add(out, tmp, 4);
		}
	}
	tab = out->len;
	for (i = 0; i < nobj; i++) {
		sd_be(tmp, off[i], 4);
		tbuf_add(out, tmp, 4);
	}
	memset(tmp, 0, 6);
	tmp[6] = 4; /* offset int size */
	tmp[7] = 4; /* object ref size */
	sd_be(tmp + 8, nobj, 8);
	sd_be(tmp + 16, top, 8);
	sd_be(tmp + 24, tab, 8);
	tbuf_add(out, tmp, 32);
	free(off);
}

/* "Billion laughs" in binary: `levels` two-element arrays, each holding
 * two references to the next one.  Tiny on disk, 2^levels nodes once a
 * parser expands the shared references into a tree. */
static inline void sd_bplist_laughs(struct tbuf *out, unsigned levels)
{
	uint64_t off[260], tab, i, nobj = (uint64_t)levels + 1;
	unsigned char tmp[32];

	cr_assert(levels < 250);
	tbuf_adds(out, "bplist00");
	for (i = 0; i < levels; i++) {
		off[i] = out->len;
		tmp[0] = 0xA2;
		tmp[1] = (unsigned char)(i + 1);
		tmp[2] = (unsigned char)(i + 1);
		tbuf_add(out, tmp, 3);
	}
	off[levels] = out->len;
	tbuf_addc(out, 0xA0);
	tab = out->len;
	for (i = 0; i < nobj; i++) {
		sd_be(tmp, off[i], 2);
		tbuf_add(out, tmp, 2);
	}
	memset(tmp, 0, 6);
	tmp[6] = 2;
	tmp[7] = 1;
	sd_be(tmp + 8, nobj, 8);
	sd_be(tmp + 16, 0, 8);
	sd_be(tmp + 24, tab, 8);
	tbuf_add(out, tmp, 32);
}

/* An XML plist of `depth` nested arrays.  With comment_every > 0, a
 * comment holding comment_every closing tags follows every comment_every
 * opening tags: XML ignores it, a naive tag counter does not. */
static inline void sd_xml_nested(struct tbuf *out, unsigned depth, unsigned comment_every)
{
	unsigned i, k;

	tbuf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
		       "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n");
	for (i = 0; i < depth; i++) {
		tbuf_adds(out, "<array>");
		if (comment_every && i % comment_every == comment_every - 1) {
			tbuf_adds(out, "<!--");
			for (k = 0; k < comment_every; k++)
				tbuf_adds(out, "</array>");
			tbuf_adds(out, "-->");
		}
	}
	for (i = 0; i < depth; i++)
		tbuf_adds(out, "</array>");
	tbuf_adds(out, "\n</plist>\n");
}

/* ---- sysdiagnose trees -------------------------------------------------- */

#define SD_MAX_MEMBERS 40

struct sd_member {
	char rel[256];           /* path below the root */
	struct tbuf data;
};

struct sd_tree {
	char root[200];          /* root folder name */
	struct sd_member m[SD_MAX_MEMBERS];
	size_t n;
};

static inline void sd_tree_init(struct sd_tree *t, const char *root)
{
	memset(t, 0, sizeof *t);
	snprintf(t->root, sizeof t->root, "%s", root);
}

static inline void sd_tree_free(struct sd_tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		tbuf_free(&t->m[i].data);
	t->n = 0;
}

static inline struct sd_member *sd_add(struct sd_tree *t, const char *rel, const void *data, size_t len)
{
	struct sd_member *m;

	cr_assert(t->n < SD_MAX_MEMBERS);
	m = &t->m[t->n++];
	snprintf(m->rel, sizeof m->rel, "%s", rel);
	tbuf_add(&m->data, data, len);
	return m;
}

static inline void sd_add_fixture(struct sd_tree *t, const char *rel, const char *fixture)
{
	struct sd_member *m = sd_add(t, rel, "", 0);

	sd_fixture(fixture, &m->data);
}

/* crashes_and_spins/<name>: the JSON header line, then the body fixture. */
static inline void sd_add_ota(struct sd_tree *t, const char *name, const char *header, const char *body)
{
	char rel[256];
	struct sd_member *m;

	snprintf(rel, sizeof rel, "crashes_and_spins/%s", name);
	m = sd_add(t, rel, header, strlen(header));
	tbuf_addc(&m->data, '\n');
	sd_fixture(body, &m->data);
}

static inline void sd_add_sysversion(struct sd_tree *t, bool binary, const char *version, const char *build)
{
	struct sd_member *m = sd_add(t, "logs/SystemVersion/SystemVersion.plist", "", 0);

	sd_sysversion(&m->data, binary, version, build);
}

/* Member names of a tree packed at `prefix` ("" or "bundle/"), with the
 * directory entries a real tar has. */
static inline size_t sd_entries(const struct sd_tree *t, const char *prefix, struct t_entry *e,
				char (*names)[512], size_t cap)
{
	static const char *const dirs[] = { "", "crashes_and_spins/", "ioreg/", "logs/",
					    "logs/MobileActivation/", "logs/MobileLockdown/",
					    "logs/SystemVersion/" };
	size_t n = 0, i;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		cr_assert(n < cap);
		snprintf(names[n], 512, "%s%s/%s", prefix, t->root, dirs[i]);
		e[n].name = names[n];
		e[n].data = NULL;
		e[n].len = 0;
		e[n].dir = true;
		n++;
	}
	for (i = 0; i < t->n; i++) {
		cr_assert(n < cap);
		snprintf(names[n], 512, "%s%s/%s", prefix, t->root, t->m[i].rel);
		e[n].name = names[n];
		e[n].data = t->m[i].data.p ? (const void *)t->m[i].data.p : "";
		e[n].len = t->m[i].data.len;
		e[n].dir = false;
		n++;
	}
	return n;
}

/* The tree as a .tar.gz (pax restricted + gzip), in memory. */
static inline void sd_pack_tgz(const struct sd_tree *t, struct tbuf *out)
{
	struct t_entry e[SD_MAX_MEMBERS + 8];
	static char names[SD_MAX_MEMBERS + 8][512];
	size_t n = sd_entries(t, "", e, names, SD_MAX_MEMBERS + 8);

	cr_assert(t_archive(out, T_TAR, T_GZIP, e, n), "libarchive cannot write tar.gz");
}

/* Writes the tree below dir/<root>/; returns the root folder's path. */
static inline char *sd_write_folder(const struct sd_tree *t, const char *dir)
{
	char rel[600];
	size_t i;

	for (i = 0; i < t->n; i++) {
		char *slash, *p;

		snprintf(rel, sizeof rel, "%s/%s", t->root, t->m[i].rel);
		/* mkdir -p of the member's folders */
		for (slash = strchr(rel, '/'); slash; slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			p = t_path(dir, rel);
			if (mkdir(p, 0755) != 0)
				cr_assert_eq(errno, EEXIST, "mkdir %s: %s", p, strerror(errno));
			free(p);
			*slash = '/';
		}
		free(t_write(dir, rel, t->m[i].data.p ? (const void *)t->m[i].data.p : "", t->m[i].data.len));
	}
	return t_path(dir, t->root);
}

/* ---- JSON lookup --------------------------------------------------------- */

static inline const char *j_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* End of the JSON value starting at p (NULL if malformed). */
static inline const char *j_skip(const char *p, const char *e)
{
	int depth = 0;

	p = j_ws(p, e);
	if (p >= e)
		return NULL;
	if (*p != '"' && *p != '{' && *p != '[') {
		while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ')
			p++;
		return p;
	}
	do {
		if (*p == '"') {
			for (p++; p < e && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= e)
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		}
		p++;
	} while (p < e && depth > 0);
	return depth ? NULL : p;
}

/* The value of `key` in the object [p, e). */
static inline bool j_member(const char *p, const char *e, const char *key, const char **vp, const char **ve)
{
	size_t kl = strlen(key);

	p = j_ws(p, e);
	if (p >= e || *p != '{')
		return false;
	p++;
	for (;;) {
		const char *ks, *kend, *v, *vend;

		p = j_ws(p, e);
		if (p >= e || *p == '}')
			return false;
		if (*p != '"')
			return false;
		ks = p + 1;
		kend = j_skip(p, e);
		if (!kend)
			return false;
		p = j_ws(kend, e);
		if (p >= e || *p != ':')
			return false;
		v = j_ws(p + 1, e);
		vend = j_skip(v, e);
		if (!vend)
			return false;
		if ((size_t)(kend - 1 - ks) == kl && !memcmp(ks, key, kl)) {
			*vp = v;
			*ve = vend;
			return true;
		}
		p = j_ws(vend, e);
		if (p < e && *p == ',')
			p++;
	}
}

/* The idx-th element of the array [p, e). */
static inline bool j_index(const char *p, const char *e, size_t idx, const char **vp, const char **ve)
{
	size_t i = 0;

	p = j_ws(p, e);
	if (p >= e || *p != '[')
		return false;
	p++;
	for (;;) {
		const char *v = j_ws(p, e), *vend;

		if (v >= e || *v == ']')
			return false;
		vend = j_skip(v, e);
		if (!vend)
			return false;
		if (i++ == idx) {
			*vp = v;
			*ve = vend;
			return true;
		}
		p = j_ws(vend, e);
		if (p < e && *p == ',')
			p++;
	}
}

/* Dotted path ("result.code", "error53.evidence.0.rule") in the JSON text
 * [p, p+n): the raw value span. */
static inline bool j_path(const char *p, size_t n, const char *path, const char **vp, const char **ve)
{
	const char *s = p, *e = p + n;
	char key[64];

	while (*path) {
		size_t kl = strcspn(path, ".");

		cr_assert(kl < sizeof key);
		memcpy(key, path, kl);
		key[kl] = '\0';
		path += kl;
		if (*path == '.')
			path++;
		s = j_ws(s, e);
		if (s < e && *s == '[') {
			if (!j_index(s, e, strtoul(key, NULL, 10), vp, ve))
				return false;
		} else if (!j_member(s, e, key, vp, ve)) {
			return false;
		}
		s = *vp;
		e = *ve;
	}
	*vp = s;
	*ve = e;
	return true;
}

/* The value at path as text: a string's contents (simple escapes
 * undone), or the raw JSON of anything else ("null", "53", "{...}").
 * Returns NULL when the path does not exist.  Static buffer rotation. */
static inline const char *jget(const char *json, const char *path)
{
	static char bufs[8][4096];
	static unsigned next;
	char *out = bufs[next++ % 8];
	const char *v, *ve;
	size_t o = 0;

	if (!j_path(json, strlen(json), path, &v, &ve))
		return NULL;
	if (*v != '"') {
		snprintf(out, sizeof bufs[0], "%.*s", (int)(ve - v), v);
		return out;
	}
	for (v++; v < ve - 1 && o + 1 < sizeof bufs[0]; v++) {
		if (*v == '\\' && v + 1 < ve - 1) {
			v++;
			out[o++] = *v == 'n' ? '\n' : *v == 't' ? '\t' : *v;
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
	return out;
}

/* Number of elements of the array at path (0 when absent or not an array). */
static inline size_t jlen(const char *json, const char *path)
{
	const char *v, *ve, *a, *b;
	size_t n = 0;

	if (!j_path(json, strlen(json), path, &v, &ve) || *v != '[')
		return 0;
	while (j_index(v, ve, n, &a, &b))
		n++;
	return n;
}

/* ---- running the pipeline ---------------------------------------------- */

#define SD_MAX_SESSIONS 32

struct sd_run {
	struct e53_result res;
	e53_status st;
	char *session[SD_MAX_SESSIONS];
	size_t nsession;
	size_t ninput_error_lines;
	size_t nerr, nwarn;      /* "E " and "W " lines of res.msgs */
	char *out;               /* NUL-terminated copies */
	char *msgs;
};

/* Runs one input through the real pipeline: built-in rules, NDJSON,
 * default limits unless lim is given. */
static inline void sd_analyze(const char *input, const struct e53_limits *lim, struct sd_run *r)
{
	struct e53_rules *rs = e53_rules_new();
	struct e53_buf diag;
	struct e53_options opt;
	struct e53_analyzer *an;
	char *line, *save = NULL;

	memset(r, 0, sizeof *r);
	cr_assert_not_null(rs);
	e53_buf_init(&diag, 0);
	cr_assert_eq(e53_rules_add_builtin(rs, &diag), E53_OK, "builtin rules: %s", diag.data ? diag.data : "");
	cr_assert_eq(e53_rules_compile(rs, &diag), E53_OK, "rules compile: %s", diag.data ? diag.data : "");
	e53_buf_release(&diag);
	memset(&opt, 0, sizeof opt);
	opt.format = E53_FMT_NDJSON;
	e53_limits_default(&opt.lim);
	if (lim)
		opt.lim = *lim;
	an = e53_analyzer_new(rs, &opt);
	cr_assert_not_null(an);
	e53_result_init(&r->res);
	r->st = e53_analyze(an, input, &r->res);
	e53_analyzer_free(&an);
	e53_rules_free(&rs);

	r->out = strdup(r->res.out.data ? r->res.out.data : "");
	r->msgs = strdup(r->res.msgs.data ? r->res.msgs.data : "");
	cr_assert(r->out && r->msgs);
	{
		char *copy = strdup(r->out);

		cr_assert_not_null(copy);
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(line, "{\"type\":\"session\"", 17)) {
				cr_assert(r->nsession < SD_MAX_SESSIONS);
				r->session[r->nsession++] = strdup(line);
			} else if (!strncmp(line, "{\"type\":\"input-error\"", 21)) {
				r->ninput_error_lines++;
			}
		}
		free(copy);
	}
	for (line = r->msgs; *line;) {
		char *nl = strchr(line, '\n');

		if (!strncmp(line, "E ", 2))
			r->nerr++;
		else if (!strncmp(line, "W ", 2))
			r->nwarn++;
		if (!nl)
			break;
		line = nl + 1;
	}
}

static inline void sd_run_free(struct sd_run *r)
{
	size_t i;

	for (i = 0; i < r->nsession; i++)
		free(r->session[i]);
	free(r->out);
	free(r->msgs);
	e53_result_release(&r->res);
	memset(r, 0, sizeof *r);
}

/* The message line of kind ('W' or 'E') containing every needle (NULL
 * terminated list), or NULL. */
static inline const char *sd_msg(const struct sd_run *r, char kind, const char *needle1, const char *needle2)
{
	static char line[2048];
	const char *p = r->msgs;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		snprintf(line, sizeof line, "%.*s", (int)n, p);
		if (line[0] == kind && line[1] == ' ' && (!needle1 || strstr(line, needle1)) &&
		    (!needle2 || strstr(line, needle2)))
			return line;
		if (!nl)
			break;
		p = nl + 1;
	}
	return NULL;
}

/* The session whose source.member ends with suffix, or NULL. */
static inline const char *sd_session_by_member(const struct sd_run *r, const char *suffix)
{
	size_t i, sl = strlen(suffix);

	for (i = 0; i < r->nsession; i++) {
		const char *m = jget(r->session[i], "source.member");
		size_t ml = m ? strlen(m) : 0;

		if (m && ml >= sl && !strcmp(m + ml - sl, suffix))
			return r->session[i];
	}
	return NULL;
}

/* Index of the evidence entry with this kind (or -1). */
static inline int sd_evidence_kind(const char *session, const char *kind)
{
	size_t i, n = jlen(session, "error53.evidence");
	char path[64];

	for (i = 0; i < n; i++) {
		const char *k;

		snprintf(path, sizeof path, "error53.evidence.%zu.kind", i);
		k = jget(session, path);
		if (k && !strcmp(k, kind))
			return (int)i;
	}
	return -1;
}

#endif
