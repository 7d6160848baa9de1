/* report.h - renderers for sessions, input errors and events. */
#ifndef ERR53_REPORT_H
#define ERR53_REPORT_H

#include "err53/session.h"
#include "err53/tables.h"

void e53_render_session_ndjson(const struct e53_session *s, struct e53_buf *b);
/* md: markdown instead of text. */
void e53_render_session_text(const struct e53_session *s, bool md, bool color,
			     struct e53_buf *b);
void e53_render_csv_header(struct e53_buf *b);
void e53_render_session_csv(const struct e53_session *s, struct e53_buf *b);
void e53_render_input_error_ndjson(const char *path, const char *member, const char *msg,
				   struct e53_buf *b);
void e53_render_event(const char *path, const char *member, const struct e53_event *ev,
		      struct e53_buf *b);

const char *e53_session_category(const struct e53_session *s);
const char *e53_session_last_stage(const struct e53_session *s);
const struct e53_device *e53_session_device(const struct e53_session *s);
const char *e53_evidence_class_name(enum e53_ev_class c);
void e53_md_code(struct e53_buf *b, const char *text, bool in_table);
int e53_evidence_weight(const struct e53_session *s, const struct e53_evidence *e);

#endif
