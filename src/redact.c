/* redact.c - identifier placeholders (see redact.h). */
#include "err53/redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct e53_redactor {
	int unused; /* stateless today; a handle keeps room for a per-run key */
};

struct e53_redactor *e53_redactor_new(void)
{
	return calloc(1, sizeof(struct e53_redactor));
}

void e53_redactor_free(struct e53_redactor **pr)
{
	free(*pr);
	*pr = NULL;
}

/* The placeholder is a hash of the value, not a counter, so it does not
 * depend on which thread meets a value first: -j 1 and -j 8 agree. */
void e53_redact_value(struct e53_redactor *r, const char *kind, const char *val, char *out, size_t cap)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	(void)r;
	for (p = (const unsigned char *)kind; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	for (p = (const unsigned char *)val; *p; p++)
		h = (h ^ (unsigned char)tolower(*p)) * 0x100000001b3ULL;
	snprintf(out, cap, "%s-%08llx", kind, (unsigned long long)(h >> 32));
}

/* Replaces every occurrence of needle (case-insensitive) in text. */
static void replace_all(char *text, size_t cap, const char *needle, const char *repl)
{
	size_t nl = strlen(needle), rl = strlen(repl);
	char *p = text;

	if (nl < 4)
		return;
	while ((p = strcasestr(p, needle)) != NULL) {
		size_t tail = strlen(p + nl);

		if ((size_t)(p - text) + rl + tail + 1 > cap)
			tail = cap - 1 - (size_t)(p - text) - rl < tail ? cap - 1 - (size_t)(p - text) - rl : tail;
		memmove(p + rl, p + nl, tail);
		memcpy(p, repl, rl);
		p[rl + tail] = '\0';
		p += rl;
	}
}

static bool isname(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == ' ';
}

void e53_redact_text(struct e53_redactor *r, char *text, size_t cap)
{
	static const char *const homes[] = { "/Users/", "/home/", "\\Users\\", "\\users\\", "/users/" };
	size_t h;
	char *p;

	for (h = 0; h < sizeof homes / sizeof homes[0]; h++) {
		size_t hl = strlen(homes[h]);

		p = text;
		while ((p = strstr(p, homes[h])) != NULL) {
			char *name = p + hl, *end = name;
			char val[80], ph[32];

			while (*end && isname(*end) && end - name < 64)
				end++;
			if (end == name || (*end != '/' && *end != '\\') || !strncmp(name, "USER-", 5) ||
			    !strncmp(name, "Shared", 6) || !strncmp(name, "Users", 5) || !strncmp(name, "home", 4)) {
				p = name;
				continue;
			}
			snprintf(val, sizeof val, "%.*s", (int)(end - name), name);
			e53_redact_value(r, "USER", val, ph, sizeof ph);
			replace_all(name, cap - (size_t)(name - text), val, ph);
			p = name + strlen(ph);
		}
	}
	/* IMEIs: runs of exactly 15 digits */
	for (p = text; *p; p++) {
		size_t k = 0;
		char val[16], ph[32];

		if (!isdigit((unsigned char)*p) || (p > text && isalnum((unsigned char)p[-1])))
			continue;
		while (isdigit((unsigned char)p[k]))
			k++;
		if (k != 15 || isalnum((unsigned char)p[k])) {
			p += k ? k - 1 : 0;
			continue;
		}
		memcpy(val, p, 15);
		val[15] = '\0';
		e53_redact_value(r, "IMEI", val, ph, sizeof ph);
		replace_all(p, cap - (size_t)(p - text), val, ph);
		p += strlen(ph) - 1;
	}
}

static void redact_ids(char *text, size_t cap, const char *const *vals, const char *const *phs, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (vals[i] && vals[i][0])
			replace_all(text, cap, vals[i], phs[i]);
}

void e53_redact_session(struct e53_redactor *r, struct e53_session *s)
{
	char serial[32] = "", udid[32] = "", ecid[32] = "";
	char ecid_hex[24] = "", ecid_hex16[24] = "", ecid_dec[32] = "";
	const char *vals[5], *phs[5];
	unsigned i, n = 0;

	if (s->serial[0]) {
		e53_redact_value(r, "SERIAL", s->serial, serial, sizeof serial);
		vals[n] = s->serial;
		phs[n++] = serial;
	}
	if (s->udid[0]) {
		e53_redact_value(r, "UDID", s->udid, udid, sizeof udid);
		vals[n] = s->udid;
		phs[n++] = udid;
	}
	if (s->has_ecid) {
		snprintf(ecid_hex16, sizeof ecid_hex16, "%016llx", (unsigned long long)s->ecid);
		snprintf(ecid_hex, sizeof ecid_hex, "%llx", (unsigned long long)s->ecid);
		snprintf(ecid_dec, sizeof ecid_dec, "%llu", (unsigned long long)s->ecid);
		e53_redact_value(r, "ECID", ecid_hex16, ecid, sizeof ecid);
		snprintf(s->ecid_redacted, sizeof s->ecid_redacted, "%s", ecid);
		vals[n] = ecid_hex16;
		phs[n++] = ecid;
		vals[n] = ecid_dec;
		phs[n++] = ecid;
		if (strlen(ecid_hex) >= 8) {
			vals[n] = ecid_hex;
			phs[n++] = ecid;
		}
	}
	for (i = 0; i < s->nev; i++) {
		redact_ids(s->ev[i].text, sizeof s->ev[i].text, vals, phs, n);
		e53_redact_text(r, s->ev[i].text, sizeof s->ev[i].text);
		e53_redact_text(r, s->ev[i].member, sizeof s->ev[i].member);
	}
	redact_ids(s->status_text, sizeof s->status_text, vals, phs, n);
	redact_ids(s->path, sizeof s->path, vals, phs, n);
	redact_ids(s->member, sizeof s->member, vals, phs, n);
	e53_redact_text(r, s->path, sizeof s->path);
	e53_redact_text(r, s->member, sizeof s->member);
	for (i = 0; i < s->nactions; i++) {
		if (s->actions[i] != s->action_buf[i])
			continue;
		redact_ids(s->action_buf[i], sizeof s->action_buf[i], vals, phs, n);
	}
	if (s->serial[0])
		snprintf(s->serial, sizeof s->serial, "%s", serial);
	if (s->udid[0])
		snprintf(s->udid, sizeof s->udid, "%s", udid);
}
