/* report.c - rendering: NDJSON (the contract), the ticket-ready text
 * report, markdown, CSV, and the events debugging view. */
#include "err53/report.h"
#include "err53/tables.h"

#include <stdio.h>
#include <string.h>

static const char *stage_outcome_name(enum e53_stage_outcome o)
{
	return o == E53_ST_OK ? "ok" : o == E53_ST_FAILED ? "failed" : "unknown";
}

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

static void add_u64(struct e53_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	e53_buf_add(b, tmp + i, sizeof tmp - i);
}

static void add_key(struct e53_buf *b, const char *key, bool comma)
{
	char tmp[48];
	size_t n = strlen(key), k = 0;

	if (n > sizeof tmp - 4) {
		if (comma)
			e53_buf_addc(b, ',');
		e53_buf_addc(b, '"');
		e53_buf_add(b, key, n);
		e53_buf_add(b, "\":", 2);
		return;
	}
	/* one append: the separator, the quoted key and the colon */
	if (comma)
		tmp[k++] = ',';
	tmp[k++] = '"';
	memcpy(tmp + k, key, n);
	k += n;
	tmp[k++] = '"';
	tmp[k++] = ':';
	e53_buf_add(b, tmp, k);
}

static void json_kv(struct e53_buf *b, const char *key, const char *val, bool comma)
{
	add_key(b, key, comma);
	e53_buf_json(b, nz(val));
}

/* "key":N, or null when absent */
static void json_num(struct e53_buf *b, const char *key, bool has, long v, bool comma)
{
	add_key(b, key, comma);
	if (!has) {
		e53_buf_add(b, "null", 4);
		return;
	}
	if (v < 0) {
		e53_buf_addc(b, '-');
		v = -v;
	}
	add_u64(b, (uint64_t)v);
}

const char *e53_session_category(const struct e53_session *s)
{
	unsigned i;

	if (s->outcome != E53_OUT_FAILURE)
		return NULL;
	if (s->has_code) {
		const struct e53_error_code *ec = e53_error_lookup(s->code);

		if (ec)
			return ec->category;
	}
	for (i = s->nstages; i-- > 0;)
		if (s->stages[i].outcome == E53_ST_FAILED)
			return e53_category_for_subsystem(s->stages[i].subsystem);
	return "unknown";
}

const char *e53_session_last_stage(const struct e53_session *s)
{
	unsigned i;

	/* where the restore stopped: the last failed stage, preferring a leaf
	 * with a subsystem over an enclosing step such as perform_restore_installing */
	if (s->outcome == E53_OUT_FAILURE) {
		const char *any = NULL;

		for (i = s->nstages; i-- > 0;) {
			if (s->stages[i].outcome != E53_ST_FAILED)
				continue;
			if (strcmp(s->stages[i].subsystem, "other"))
				return s->stages[i].name;
			if (!any)
				any = s->stages[i].name;
		}
		if (any)
			return any;
	}
	return s->nstages ? s->stages[s->nstages - 1].name : NULL;
}

const struct e53_device *e53_session_device(const struct e53_session *s)
{
	return s->product_type[0] ? e53_device_lookup(s->product_type, strlen(s->product_type)) : NULL;
}

static void ecid_text(const struct e53_session *s, char *out, size_t cap)
{
	if (s->ecid_redacted[0])
		snprintf(out, cap, "%s", s->ecid_redacted);
	else
		snprintf(out, cap, "0x%016llx", (unsigned long long)s->ecid);
}

static const char *class_rule_name(const struct e53_evidence *e)
{
	return e->rule[0] ? e->rule : NULL;
}

void e53_render_session_ndjson(const struct e53_session *s, struct e53_buf *b)
{
	const struct e53_device *d = e53_session_device(s);
	const struct e53_error_code *ec = s->has_code && s->outcome == E53_OUT_FAILURE ? e53_error_lookup(s->code) : NULL;
	char ecid[24];
	unsigned i;
	bool first = true;

	e53_buf_adds(b, "{\"type\":\"session\",\"schema\":\"" E53_SCHEMA "\",\"source\":{");
	json_kv(b, "path", s->path, false);
	json_kv(b, "member", s->member, true);
	json_num(b, "first_line", true, (long)s->first_line, true);
	json_num(b, "last_line", true, (long)s->last_line, true);
	e53_buf_add(b, "},", 2);
	json_kv(b, "family", e53_family_name(s->family), false);
	e53_buf_adds(b, ",\"device\":{");
	ecid_text(s, ecid, sizeof ecid);
	json_kv(b, "ecid", s->has_ecid ? ecid : NULL, false);
	json_kv(b, "udid", s->udid, true);
	json_kv(b, "serial", s->serial, true);
	json_kv(b, "product_type", s->product_type, true);
	json_kv(b, "hw_model", s->hw_model, true);
	json_kv(b, "name", d ? d->name : NULL, true);
	json_kv(b, "biometric", d ? d->biometric : NULL, true);
	e53_buf_adds(b, "},\"restore\":{");
	json_kv(b, "target_build", s->target_build, false);
	json_kv(b, "target_version", s->target_version, true);
	json_kv(b, "current_build", s->current_build, true);
	json_kv(b, "current_version", s->current_version, true);
	json_kv(b, "behavior", s->behavior, true);
	json_num(b, "protocol", s->protocol >= 0, s->protocol, true);
	e53_buf_adds(b, "},\"result\":{");
	json_kv(b, "outcome", e53_outcome_name(s->outcome), false);
	json_num(b, "code", s->has_code && s->outcome == E53_OUT_FAILURE, s->code, true);
	json_kv(b, "name", ec ? ec->apple_name : NULL, true);
	json_kv(b, "category", e53_session_category(s), true);
	json_kv(b, "meaning", ec ? ec->meaning : NULL, true);
	json_kv(b, "status_text", s->status_text, true);
	json_num(b, "failed_line", s->fail_line != 0 && s->outcome == E53_OUT_FAILURE, (long)s->fail_line, true);
	json_kv(b, "failed_text", s->outcome == E53_OUT_FAILURE ? s->fail_text : NULL, true);
	e53_buf_adds(b, "},\"stages\":[");
	for (i = 0; i < s->nstages; i++) {
		const struct e53_stage *st = &s->stages[i];

		e53_buf_adds(b, first ? "{" : ",{");
		first = false;
		json_kv(b, "name", st->name, false);
		json_kv(b, "subsystem", st->subsystem, true);
		json_num(b, "op", st->op >= 0, st->op, true);
		if (st->step >= 0) {
			static const char hex[] = "0123456789ABCDEF";
			char sid[8] = { '0', 'x', hex[(st->step >> 12) & 15], hex[(st->step >> 8) & 15],
					hex[(st->step >> 4) & 15], hex[st->step & 15], 0, 0 };

			json_kv(b, "step", sid, true);
		} else {
			json_num(b, "step", false, 0, true);
		}
		json_kv(b, "outcome", stage_outcome_name(st->outcome), true);
		json_num(b, "line", true, (long)st->line, true);
		e53_buf_addc(b, '}');
	}
	e53_buf_adds(b, "],");
	json_kv(b, "last_stage", e53_session_last_stage(s), false);
	e53_buf_adds(b, ",\"error53\":{");
	json_kv(b, "verdict", e53_verdict_name(s->verdict), false);
	json_kv(b, "confidence", s->verdict == E53_V_NOT_ERROR53 ? NULL : s->confidence, true);
	json_kv(b, "why", s->why, true);
	e53_buf_adds(b, ",\"evidence\":[");
	first = true;
	if (s->verdict != E53_V_NOT_ERROR53) {
		for (i = 0; i < s->nev; i++) {
			const struct e53_evidence *e = &s->ev[i];

			if (e->previous)
				continue;
			e53_buf_adds(b, first ? "{" : ",{");
			first = false;
			json_num(b, "line", true, (long)e->line, false);
			json_kv(b, "member", e->member, true);
			json_kv(b, "rule", class_rule_name(e), true);
			json_kv(b, "kind", e53_evidence_class_name(e->cls), true);
			json_kv(b, "text", e->text, true);
			e53_buf_adds(b, "}");
		}
	}
	e53_buf_adds(b, "]},\"actions\":[");
	for (i = 0; i < s->nactions; i++) {
		if (i)
			e53_buf_addc(b, ',');
		e53_buf_json(b, s->actions[i]);
	}
	e53_buf_adds(b, "]");
	if (s->nhist) {
		e53_buf_adds(b, ",\"history\":[");
		for (i = 0; i < s->nhist; i++) {
			e53_buf_adds(b, i ? ",{" : "{");
			json_kv(b, "kind", s->hist[i].panic ? "panic" : "update", false);
			json_kv(b, "from", s->hist[i].from, true);
			json_kv(b, "to", s->hist[i].to, true);
			json_kv(b, "process", s->hist[i].process, true);
			json_kv(b, "when", s->hist[i].when, true);
			json_kv(b, "source", s->hist[i].source, true);
			e53_buf_adds(b, "}");
		}
		e53_buf_adds(b, "]");
	}
	e53_buf_adds(b, "}\n");
}

/* How much an evidence line weighs for its session's verdict: 2 the
 * deciding kind, 1 the kind that supports it, 0 context. */
int e53_evidence_weight(const struct e53_session *s, const struct e53_evidence *e)
{
	switch (s->verdict) {
	case E53_V_BIOMETRIC:
		return e->cls == E53_EC_BIOMETRIC ? 2 : e->cls == E53_EC_SENSOR_UP ? 1 : 0;
	case E53_V_CABLE:
		return e->cls == E53_EC_CABLE ? 2 : (e->cls == E53_EC_SENSOR_RESET || e->cls == E53_EC_IOREG) ? 1 : 0;
	case E53_V_FDR_SERVICE:
		return e->cls == E53_EC_FDR_SERVICE ? 2 : 0;
	case E53_V_FACTORY_DATA:
		return e->cls == E53_EC_FACTORY_DATA ? 2 : 0;
	case E53_V_UNDETERMINED:
		return e->cls == E53_EC_CODE ? 2 : e->cls == E53_EC_FDR_STEP ? 1 : 0;
	default:
		return 0;
	}
}

const char *e53_evidence_class_name(enum e53_ev_class c)
{
	static const char *const n[E53_EC__COUNT] = {
		[E53_EC_NONE] = "other", [E53_EC_BIOMETRIC] = "biometric", [E53_EC_CABLE] = "cable",
		[E53_EC_SENSOR_UP] = "sensor-up", [E53_EC_SENSOR_RESET] = "sensor-reset",
		[E53_EC_FDR_RECOVER] = "fdr-recover", [E53_EC_FDR_SERVICE] = "fdr-service",
		[E53_EC_FACTORY_DATA] = "factory-data", [E53_EC_CODE] = "code",
		[E53_EC_FDR_STEP] = "fdr-step", [E53_EC_IOREG] = "ioreg",
	};

	return (unsigned)c < E53_EC__COUNT && n[c] ? n[c] : "other";
}

void e53_render_input_error_ndjson(const char *path, const char *member, const char *msg,
				   struct e53_buf *b)
{
	e53_buf_adds(b, "{\"type\":\"input-error\",\"schema\":\"" E53_SCHEMA "\",\"source\":{");
	json_kv(b, "path", path, false);
	json_kv(b, "member", member, true);
	e53_buf_adds(b, "},");
	json_kv(b, "message", msg, false);
	e53_buf_adds(b, "}\n");
}

/* ---- text and markdown ---- */

#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_OFF "\033[0m"

/* Markdown inline code that survives backticks and table pipes in the
 * text: a fence longer than the longest run of backticks inside, and
 * pipes escaped when the span sits in a table cell. */
void e53_md_code(struct e53_buf *b, const char *text, bool in_table)
{
	size_t run = 0, longest = 0, k;
	const char *p;

	for (p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (k = 0; k <= longest; k++)
		e53_buf_addc(b, '`');
	if (longest)
		e53_buf_addc(b, ' ');
	for (p = text; *p; p++) {
		if (in_table && *p == '|')
			e53_buf_addc(b, '\\');
		e53_buf_addc(b, *p);
	}
	if (longest)
		e53_buf_addc(b, ' ');
	for (k = 0; k <= longest; k++)
		e53_buf_addc(b, '`');
}

static const char *col(bool on, const char *c)
{
	return on ? c : "";
}

static void device_line(const struct e53_session *s, char *out, size_t cap)
{
	const struct e53_device *d = e53_session_device(s);
	size_t n = 0;

	out[0] = '\0';
#define ADD(...) do { if (n < cap) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__); } while (0)
	if (d)
		ADD("%s (%s%s%s)", d->name, s->product_type, s->hw_model[0] ? ", " : "", s->hw_model);
	else if (s->product_type[0])
		ADD("%s%s%s", s->product_type, s->hw_model[0] ? ", " : "", s->hw_model);
	else if (s->hw_model[0])
		ADD("board %s", s->hw_model);
	else
		ADD("unknown model");
	if (s->has_ecid) {
		char e[24];

		ecid_text(s, e, sizeof e);
		ADD(", ECID %s", e);
	}
	if (s->serial[0])
		ADD(", serial %s", s->serial);
	if (s->udid[0])
		ADD(", UDID %s", s->udid);
	if (d && d->biometric)
		ADD(", %s", !strcmp(d->biometric, "touch-id") ? "Touch ID" : !strcmp(d->biometric, "face-id") ? "Face ID" : "no biometrics");
#undef ADD
}

static void restore_line(const struct e53_session *s, char *out, size_t cap)
{
	size_t n = 0;

#define ADD(...) do { if (n < cap) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__); } while (0)
	out[0] = '\0';
	if (s->behavior[0])
		ADD("%s", s->behavior);
	else
		ADD("restore");
	if (s->target_version[0] || s->target_build[0]) {
		ADD(" to iOS");
		if (s->target_version[0])
			ADD(" %s", s->target_version);
		if (s->target_build[0])
			ADD(s->target_version[0] ? " (%s)" : " build %s", s->target_build);
	} else {
		ADD(" (target not in the log)");
	}
	if (s->current_build[0] || s->current_version[0])
		ADD(", from %s%s%s%s", s->current_version, s->current_version[0] && s->current_build[0] ? " (" : "",
		    s->current_build, s->current_version[0] && s->current_build[0] ? ")" : "");
#undef ADD
}

static void source_name(const struct e53_session *s, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s", s->path, s->member[0] ? ":" : "", s->member);
}

static void md_cell(struct e53_buf *b, const char *text)
{
	for (; *text; text++) {
		if (*text == '|' || *text == '\\' || *text == '`' || *text == '*' || *text == '_')
			e53_buf_addc(b, '\\');
		e53_buf_addc(b, *text);
	}
}

/* A compact timeline: the first stages, an ellipsis, the last ones. */
static void timeline(const struct e53_session *s, struct e53_buf *b, bool md, bool color)
{
	unsigned i, shown = 0;
	const unsigned head = 3, tail = 9;

	if (md && s->nstages)
		e53_buf_adds(b, "| stage | subsystem | outcome | line |\n|---|---|---|---|\n");
	for (i = 0; i < s->nstages; i++) {
		const struct e53_stage *st = &s->stages[i];
		const char *o = st->outcome == E53_ST_FAILED ? "FAILED" : stage_outcome_name(st->outcome);

		if (s->nstages > head + tail && i == head) {
			unsigned more = s->nstages - head - tail + s->stages_dropped;

			if (md)
				e53_buf_addf(b, "| ... %u more | | | |\n", more);
			else
				e53_buf_addf(b, "  ... (%u more)\n", more);
			i = s->nstages - tail - 1;
			continue;
		}
		if (md) {
			e53_buf_adds(b, "| ");
			md_cell(b, st->name);
			e53_buf_addf(b, " | %s | %s%s%s | %llu |\n", st->subsystem,
				     st->outcome == E53_ST_FAILED ? "**" : "", o, st->outcome == E53_ST_FAILED ? "**" : "",
				     (unsigned long long)st->line);
		} else {
			e53_buf_addf(b, "  %-34s %-14s ", st->name, st->subsystem);
			if (st->outcome == E53_ST_FAILED)
				e53_buf_addf(b, "%s%s%s", col(color, C_RED C_BOLD), o, col(color, C_OFF));
			else
				e53_buf_adds(b, o);
			e53_buf_addf(b, "  (line %llu)\n", (unsigned long long)st->line);
		}
		shown++;
	}
	if (!shown)
		e53_buf_adds(b, md ? "(no stage lines in the log)\n" : "  (no stage lines in the log)\n");
}

void e53_render_session_text(const struct e53_session *s, bool md, bool color,
			     struct e53_buf *b)
{
	const struct e53_error_code *ec = s->has_code && s->outcome == E53_OUT_FAILURE ? e53_error_lookup(s->code) : NULL;
	char line[512], src[1100];
	const char *cat = e53_session_category(s);
	const char *last = e53_session_last_stage(s);
	unsigned i, n = 0, pass;

	source_name(s, src, sizeof src);
	if (md)
	{
		e53_buf_adds(b, "## Restore: ");
		e53_md_code(b, src, false);
		e53_buf_addf(b, " (lines %llu-%llu)\n\n", (unsigned long long)s->first_line,
			     (unsigned long long)s->last_line);
	}
	else
		e53_buf_addf(b, "%s== Restore: %s (lines %llu-%llu) ==%s\n", col(color, C_BOLD),
			     src, (unsigned long long)s->first_line, (unsigned long long)s->last_line,
			     col(color, C_OFF));
	device_line(s, line, sizeof line);
	e53_buf_addf(b, md ? "- **Device:** %s\n" : "Device:     %s\n", line);
	restore_line(s, line, sizeof line);
	e53_buf_addf(b, md ? "- **Restore:** %s (log: %s)\n" : "Restore:    %s (log: %s)\n", line,
		     e53_family_name(s->family) ? e53_family_name(s->family) : "unknown");
	if (s->outcome == E53_OUT_FAILURE) {
		if (s->has_code)
			snprintf(line, sizeof line, "FAILED with error %ld%s%s%s, category %s", s->code,
				 ec && ec->apple_name ? " (" : "", ec && ec->apple_name ? ec->apple_name : "",
				 ec && ec->apple_name ? ")" : "", cat ? cat : "unknown");
		else
			snprintf(line, sizeof line, "FAILED (no Apple error code in the log), category %s",
				 cat ? cat : "unknown");
		e53_buf_addf(b, md ? "- **Outcome:** %s\n" : "Outcome:    %s%s%s\n",
			     md ? line : col(color, C_RED C_BOLD), md ? "" : line, md ? "" : col(color, C_OFF));
		if (ec && ec->meaning)
			e53_buf_addf(b, md ? "- **Meaning:** %s\n" : "Meaning:    %s\n", ec->meaning);
		if (s->fail_line && md) {
			char loc[1400];

			snprintf(loc, sizeof loc, "%s%s%s:%llu: %s", s->path, s->member[0] ? ":" : "", s->member,
				 (unsigned long long)s->fail_line, s->fail_text);
			e53_buf_adds(b, "- **Failure line:** ");
			e53_md_code(b, loc, false);
			e53_buf_addc(b, '\n');
		} else if (s->fail_line) {
			e53_buf_addf(b, "Failed at:  %s%s%s:%llu: %s\n", s->path, s->member[0] ? ":" : "",
				     s->member, (unsigned long long)s->fail_line, s->fail_text);
		}
	} else if (s->outcome == E53_OUT_SUCCESS) {
		e53_buf_addf(b, md ? "- **Outcome:** %s\n" : "Outcome:    %s%s%s\n",
			     md ? "restore completed" : col(color, C_GREEN), md ? "" : "restore completed",
			     md ? "" : col(color, C_OFF));
	} else {
		e53_buf_addf(b, md ? "- **Outcome:** %s\n" : "Outcome:    %s\n",
			     "incomplete: the log ends before the restore finished or failed");
	}
	if (last && s->outcome != E53_OUT_SUCCESS)
		e53_buf_addf(b, md ? "- **Stopped at:** %s\n" : "Stopped at: %s\n", last);
	else if (last)
		e53_buf_addf(b, md ? "- **Last stage:** %s\n" : "Last stage: %s\n", last);
	e53_buf_adds(b, md ? "\n### Stages\n\n" : "Stages:\n");
	timeline(s, b, md, color && !md);
	if (s->verdict == E53_V_NOT_ERROR53) {
		e53_buf_addf(b, md ? "\n**Error 53:** not-error53 (the restore did not fail with 53)\n"
				   : "Error 53:   not-error53 (the restore did not fail with 53)\n");
	} else {
		e53_buf_addf(b, md ? "\n### Error 53: %s (confidence %s)\n\n%s\n\n" : "Error 53:   %s%s%s (confidence %s)\n            %s\n",
			     md ? e53_verdict_name(s->verdict) : col(color, C_YELLOW C_BOLD),
			     md ? (s->confidence ? s->confidence : "none") : e53_verdict_name(s->verdict),
			     md ? (s->why ? s->why : "") : col(color, C_OFF),
			     md ? "" : (s->confidence ? s->confidence : "none"), md ? "" : (s->why ? s->why : ""));
		e53_buf_adds(b, md ? "Evidence (the deciding lines first):\n\n```\n" : "Evidence (the deciding lines first):\n");
		/* the deciding kind first, then what supports it, then context */
		for (pass = 0; pass < 3; pass++) {
			for (i = 0; i < s->nev; i++) {
				const struct e53_evidence *e = &s->ev[i];

				if (e->previous || e53_evidence_weight(s, e) != 2 - (int)pass)
					continue;
				e53_buf_addf(b, "%s%s%s%s:%llu: [%s] %s\n", md ? "" : "  ", s->path, e->member[0] ? ":" : "",
					     e->member, (unsigned long long)e->line, e53_evidence_class_name(e->cls), e->text);
				n++;
			}
		}
		if (!n)
			e53_buf_addf(b, "%s(no line in the log)\n", md ? "" : "  ");
		if (md)
			e53_buf_adds(b, "```\n");
	}
	if (s->nhist) {
		e53_buf_adds(b, md ? "\n### Update history\n\n" : "History:\n");
		for (i = 0; i < s->nhist; i++) {
			const struct e53_history *h = &s->hist[i];

			if (h->panic)
				e53_buf_addf(b, "%skernel panic%s%s%s%s (%s)\n", md ? "- " : "  ",
					     h->process[0] ? " in " : "", h->process, h->when[0] ? ", " : "", h->when,
					     h->source);
			else
				e53_buf_addf(b, "%s%s -> %s%s%s (%s)\n", md ? "- " : "  ",
					     h->from[0] ? h->from : "(fresh restore)", h->to, h->when[0] ? ", " : "",
					     h->when, h->source);
		}
	}
	if (s->nactions) {
		e53_buf_adds(b, md ? "\n### Next steps\n\n" : "Next steps:\n");
		for (i = 0; i < s->nactions; i++)
			e53_buf_addf(b, "%s%u. %s\n", md ? "" : "  ", i + 1, s->actions[i]);
	}
	e53_buf_addc(b, '\n');
}

static void csv_field(struct e53_buf *b, const char *v, bool comma)
{
	char guarded[1200];

	if (comma)
		e53_buf_addc(b, ',');
	if (!v)
		return;
	/* a text cell a spreadsheet would take for a formula gets a leading
	 * apostrophe (numbers stay numbers) */
	if ((v[0] == '=' || v[0] == '+' || v[0] == '@' || v[0] == '-') &&
	    strspn(v + 1, "0123456789") != strlen(v + 1)) {
		snprintf(guarded, sizeof guarded, "'%s", v);
		v = guarded;
	}
	if (strpbrk(v, ",\"\r\n")) {
		e53_buf_addc(b, '"');
		for (; *v; v++) {
			if (*v == '"')
				e53_buf_addc(b, '"');
			e53_buf_addc(b, *v);
		}
		e53_buf_addc(b, '"');
	} else {
		e53_buf_adds(b, v);
	}
}

void e53_render_csv_header(struct e53_buf *b)
{
	e53_buf_adds(b, "path,member,first_line,last_line,family,product_type,device_name,ecid,serial,"
			"target_build,target_version,current_build,behavior,outcome,code,code_name,category,"
			"last_stage,verdict,confidence,evidence_lines,udid,current_version\r\n");
}

void e53_render_session_csv(const struct e53_session *s, struct e53_buf *b)
{
	const struct e53_device *d = e53_session_device(s);
	const struct e53_error_code *ec = s->has_code && s->outcome == E53_OUT_FAILURE ? e53_error_lookup(s->code) : NULL;
	char tmp[64];
	struct e53_buf lines;
	unsigned i;

	csv_field(b, s->path, false);
	csv_field(b, nz(s->member), true);
	snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)s->first_line);
	csv_field(b, tmp, true);
	snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)s->last_line);
	csv_field(b, tmp, true);
	csv_field(b, e53_family_name(s->family), true);
	csv_field(b, nz(s->product_type), true);
	csv_field(b, d ? d->name : NULL, true);
	ecid_text(s, tmp, sizeof tmp);
	csv_field(b, s->has_ecid ? tmp : NULL, true);
	csv_field(b, nz(s->serial), true);
	csv_field(b, nz(s->target_build), true);
	csv_field(b, nz(s->target_version), true);
	csv_field(b, nz(s->current_build), true);
	csv_field(b, nz(s->behavior), true);
	csv_field(b, e53_outcome_name(s->outcome), true);
	if (s->has_code && s->outcome == E53_OUT_FAILURE)
		snprintf(tmp, sizeof tmp, "%ld", s->code);
	csv_field(b, s->has_code && s->outcome == E53_OUT_FAILURE ? tmp : NULL, true);
	csv_field(b, ec ? ec->apple_name : NULL, true);
	csv_field(b, e53_session_category(s), true);
	csv_field(b, e53_session_last_stage(s), true);
	csv_field(b, e53_verdict_name(s->verdict), true);
	csv_field(b, s->verdict == E53_V_NOT_ERROR53 ? NULL : s->confidence, true);
	e53_buf_init(&lines, 0);
	if (s->verdict != E53_V_NOT_ERROR53)
		for (i = 0; i < s->nev; i++)
			if (!s->ev[i].previous)
				e53_buf_addf(&lines, "%s%llu", lines.len ? " " : "", (unsigned long long)s->ev[i].line);
	csv_field(b, lines.data, true);
	e53_buf_release(&lines);
	csv_field(b, nz(s->udid), true);
	csv_field(b, nz(s->current_version), true);
	e53_buf_adds(b, "\r\n");
}

void e53_render_event(const char *path, const char *member, const struct e53_event *ev,
		      struct e53_buf *b)
{
	unsigned i;

	e53_buf_addf(b, "%s%s%s:%llu: %s %s", path, member && *member ? ":" : "", member ? member : "",
		     (unsigned long long)ev->line, ev->rule, e53_event_kind_name(ev->kind));
	for (i = 0; i < E53_F__COUNT; i++) {
		if (!ev->f[i].p)
			continue;
		e53_buf_addf(b, " %s=", e53_field_name((enum e53_field_key)i));
		e53_buf_json_str(b, ev->f[i].p, ev->f[i].n > 200 ? 200 : ev->f[i].n);
	}
	e53_buf_addc(b, '\n');
}
