/* redact.c - identifier placeholders (see redact.h). */
#include "err53/redact.h"

#include <ctype.h>
#include <stdint.h>
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

static size_t run_of(const char *p, int (*is)(int))
{
	size_t k = 0;

	while (p[k] && is((unsigned char)p[k]))
		k++;
	return k;
}

/* Replaces text[at, at+len) with a placeholder of kind for value val. */
static void put_placeholder(struct e53_redactor *r, char *text, size_t cap, size_t at, size_t len,
			    const char *kind, const char *val)
{
	char ph[40];
	size_t pl, tail = strlen(text + at + len);

	e53_redact_value(r, kind, val, ph, sizeof ph);
	pl = strlen(ph);
	if (at + pl + tail + 1 > cap)
		return;
	memmove(text + at + pl, text + at + len, tail + 1);
	memcpy(text + at, ph, pl);
}

/* Identifiers of any device, known to the session or not: 40-hex UDIDs,
 * <chip>-<ECID> UDIDs and seal names, ECID:/ECID fields, serial numbers
 * after the words that introduce them. */
static void redact_tokens(struct e53_redactor *r, char *text, size_t cap)
{
	static const char *const serial_keys[] = {
		"serial number is ", "SRNM:[", "SerialNumber => ", "\"IOPlatformSerialNumber\" = \"",
	};
	size_t i, k;

	for (i = 0; text[i]; i++) {
		if (i && isalnum((unsigned char)text[i - 1]))
			continue;
		k = run_of(text + i, isxdigit);
		if (k == 40 && !isalnum((unsigned char)text[i + k])) {
			char v[41];

			memcpy(v, text + i, 40);
			v[40] = '\0';
			put_placeholder(r, text, cap, i, 40, "UDID", v);
			continue;
		}
		if (k == 8 && text[i + 8] == '-' && run_of(text + i + 9, isxdigit) == 16 &&
		    !isalnum((unsigned char)text[i + 25])) {
			/* <chip id>-<ECID>: a new-style UDID, or an FDR seal name;
			 * keyed by the ECID so the session's placeholder matches */
			char v[17];
			uint64_t e;

			memcpy(v, text + i + 9, 16);
			v[16] = '\0';
			if (e53_parse_ecid(v, 16, &e))
				snprintf(v, sizeof v, "%016llx", (unsigned long long)e);
			put_placeholder(r, text, cap, i + 9, 16, "ECID", v);
			continue;
		}
	}
	for (i = 0; text[i]; i++) {
		if (strncasecmp(text + i, "ECID", 4) || (i && isalnum((unsigned char)text[i - 1])))
			continue;
		k = i + 4;
		while (text[k] == ':' || text[k] == ' ' || text[k] == '=')
			k++;
		if (k > i + 4) {
			size_t n = (text[k] == '0' && (text[k + 1] == 'x' || text[k + 1] == 'X')) ? 2 : 0;
			uint64_t e;
			char v[24];

			n += run_of(text + k + n, isxdigit);
			if (n >= 8 && e53_parse_ecid(text + k, n, &e)) {
				snprintf(v, sizeof v, "%016llx", (unsigned long long)e);
				put_placeholder(r, text, cap, k, n, "ECID", v);
			}
		}
	}
	for (k = 0; k < sizeof serial_keys / sizeof serial_keys[0]; k++) {
		char *p = text;

		while ((p = strstr(p, serial_keys[k])) != NULL) {
			size_t at = (size_t)(p - text) + strlen(serial_keys[k]);
			size_t n = run_of(text + at, isalnum);
			char v[32];

			if (n >= 8 && n <= 20 && strncmp(text + at, "SERIAL-", 7)) {
				snprintf(v, sizeof v, "%.*s", (int)n, text + at);
				put_placeholder(r, text, cap, at, n, "SERIAL", v);
			}
			p = text + at;
		}
	}
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
	redact_tokens(r, text, cap);
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
		e53_scpy(s->ecid_redacted, sizeof s->ecid_redacted, ecid);
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
		e53_scpy(s->serial, sizeof s->serial, serial);
	if (s->udid[0])
		e53_scpy(s->udid, sizeof s->udid, udid);
}
