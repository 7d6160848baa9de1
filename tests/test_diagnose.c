/* test_diagnose.c - the Error 53 classifier (src/diagnose.c): verdicts,
 * confidence, evidence, the advice, build ordering and --explain.
 *
 * Sessions are built the way the analyzer builds them: synthetic events
 * through the session builder (which finalizes and diagnoses each session
 * before handing it over), or, for states the builder cannot reach, filled
 * by hand and passed to e53_finalize + e53_diagnose.  The oracle is
 * the Error 53 model (err53-report(5)) (verdicts, confidence, the rules the classifier must
 * respect, the recommended steps).
 *
 * Tests named `regression_` pin defects that were found and fixed (see the
 * comment above each). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err53/explain.h"
#include "err53/session.h"
#include "err53/tables.h"
#include "eventutil.h"

/* ---- the script of an idevicerestore run with a device log -------------- */

struct dev {
	const char *ecid, *hw, *pt, *build;
};

static const struct dev IPHONE_6S = { "6346169327486986", "n71ap", "iPhone8,1", "14A403" };
static const struct dev IPHONE_7 = { "1240019837755321", "d10ap", "iPhone9,1", "14A403" };
static const struct dev IPHONE_8 = { "3297412980051347", "d20ap", "iPhone10,1", "15A372" };
static const struct dev IPHONE_X = { "5120459987012345", "d22ap", "iPhone10,3", "15A372" };
static const struct dev IPHONE_6S_OLD = { "6346169327486986", "n71ap", "iPhone8,1", "13D15" };

static void prologue(struct t_feed *f, const struct dev *d)
{
	char buf[160];

	t_lev(f, "idevicerestore 1.0.0-270-g405fcd1 (libirecovery 1.2.1, libtatsu 1.0.4)", E53_EV_START,
	      "idr-banner", "family", "idevicerestore", NULL);
	snprintf(buf, sizeof buf, "ECID: %s", d->ecid);
	t_lev(f, buf, E53_EV_IDENTITY, "idr-ecid", "ecid", d->ecid, NULL);
	snprintf(buf, sizeof buf, "Identified device as %s, %s", d->hw, d->pt);
	t_lev(f, buf, E53_EV_IDENTITY, "idr-identified", "hw_model", d->hw, "product_type", d->pt, NULL);
	snprintf(buf, sizeof buf, "IPSW Product Build: %s Major: %.2s", d->build, d->build);
	t_lev(f, buf, E53_EV_IDENTITY, "idr-target-build", "target_build", d->build, NULL);
	t_lev(f, "Restoring image (13)", E53_EV_OP, "idr-op-storage", "op", "13", NULL);
	t_lev(f, "Log is available:", E53_EV_EMBED, "idr-log-available", "what", "device", NULL);
}

static uint64_t fdr_enter(struct t_feed *f)
{
	t_lev(f, "[09:10:25.0787-GMT]{3>5} CHECKPOINT BEGIN: RESTORED:[0x0634] fdr_recover", E53_EV_STEP,
	      "rd-ckpt-begin", "step", "0x0634", "name", "fdr_recover", "state", "begin", NULL);
	return t_lev(f, "entering RestoredFDRRecover", E53_EV_EVIDENCE, "fdr-recover-enter", "class", "fdr-recover", NULL);
}

static uint64_t fdr_fail53(struct t_feed *f)
{
	return t_lev(f, "[09:10:26.0101-GMT]{3>5} CHECKPOINT FAILURE:(FAILURE:53) RESTORED:[0x0634] fdr_recover "
			"[0]D(fatal FDR Error returned from RestoredFDRRecover())",
		     E53_EV_STEP, "rd-ckpt-failure", "step", "0x0634", "name", "fdr_recover", "state", "failure",
		     "code", "53", NULL);
}

/* host lines after the device log: the final status 53; returns its line */
static uint64_t epilogue53(struct t_feed *f)
{
	uint64_t l;

	t_lev(f, "ERROR: Unable to successfully restore device", E53_EV_UNEMBED, "host-unembed", NULL);
	l = t_lev(f, "Status: Failed to recover FDR data.", E53_EV_OUTCOME, "idr-status", "status", "failure",
		  "statusmsg", "Failed to recover FDR data.", NULL);
	t_lev(f, "ERROR: Unable to restore device", E53_EV_END, "idr-unable-restore", "status", "failure", NULL);
	return l;
}

/* ---- cause lines (texts from the log formats and the rule samples) ---------- */

static const char SEP_ERROR[] = "SYSLOG: Nov 13 12:36:51 localhost kernel[0] <Notice>: AppleMesaSEPDriver::"
				"sepMessageReceived: SEP returned error, request = 54, data = 1, length = 0";
static const char HTTP_403[] = "7: AMFDRError/193: _AMFDRHttpHandleHeaderMessage returned status 403. "
			       "x-fdr-message: 'CSR Pubkey not match the Old Cert'";
static const char FOUND_NULL[] = "AMFDRCreateError: AMFDRDataCopy: seal:00008010-0019A2F3C4D5E6F7 get data "
				 "failed - foundData is NULL: code=10";
static const char NO_SENSOR[] = "SYSLOG: Apr 21 18:02:51 localhost kernel[0] <Notice>: AppleMesa::start: disabling the sensor";
static const char RESET[] = "SYSLOG: Jan 19 07:44:10 localhost kernel[0] <Notice>: AppleMesaSEPDriver <- Reset with "
			    "category SensorNotResponding has been requested!";
static const char SENSOR_UP[] = "SYSLOG: Jun  8 16:20:02 localhost kernel[0] <Notice>: AppleMesaSEPDriver: RecoveryTiming: "
				"RequestApproved (41200931) + 1ms -> SensorUp (41250931) + 37ms -> SessionEstablished "
				"(41620931) = Total: 40ms";

static uint64_t bio(struct t_feed *f)
{
	return t_lev(f, SEP_ERROR, E53_EV_EVIDENCE, "mesa-sep-error", "class", "biometric", "code", "54", NULL);
}

static uint64_t http403(struct t_feed *f)
{
	return t_lev(f, HTTP_403, E53_EV_EVIDENCE, "fdr-http-status", "class", "fdr-service", "code", "403", NULL);
}

static uint64_t found_null(struct t_feed *f)
{
	return t_lev(f, FOUND_NULL, E53_EV_EVIDENCE, "fdr-found-data-null", "class", "factory-data", NULL);
}

static uint64_t no_sensor(struct t_feed *f)
{
	return t_lev(f, NO_SENSOR, E53_EV_EVIDENCE, "mesa-sensor-absent", "class", "cable", NULL);
}

static uint64_t reset(struct t_feed *f)
{
	return t_lev(f, RESET, E53_EV_EVIDENCE, "mesa-sensor-reset", "class", "sensor-reset",
		     "what", "SensorNotResponding", NULL);
}

static uint64_t sensor_up(struct t_feed *f)
{
	return t_lev(f, SENSOR_UP, E53_EV_EVIDENCE, "mesa-sensor-up", "class", "sensor-up", NULL);
}

typedef uint64_t (*cause_fn)(struct t_feed *f);

/* A full Error 53 run of device d with the given cause lines inside the FDR
 * step, into *out; line numbers of the cause lines go to lines[].  (Not
 * returned by value: actions[] point into the session's own buffers.) */
static void run53(struct e53_session *out, const struct dev *d, const cause_fn *causes, size_t n,
		  uint64_t *lines, uint64_t *status_line)
{
	struct t_feed f;
	size_t i;
	uint64_t st;

	t_feed_init(&f, "restore.log");
	prologue(&f, d);
	fdr_enter(&f);
	for (i = 0; i < n; i++) {
		uint64_t l = causes[i](&f);

		if (lines)
			lines[i] = l;
	}
	fdr_fail53(&f);
	st = epilogue53(&f);
	if (status_line)
		*status_line = st;
	t_end(&f);
	cr_assert_eq(f.out.n, 1, "expected one session, got %zu", f.out.n);
	t_session_copy(out, &f.out.v[0]);
	t_feed_free(&f);
}

/* Every verdict other than not-error53 lists evidence: line, rule, text. */
static void check_evidence(const struct e53_session *s)
{
	unsigned i;

	cr_assert_gt(s->nev, 0, "verdict %s without evidence", e53_verdict_name(s->verdict));
	for (i = 0; i < s->nev; i++) {
		cr_expect_gt(s->ev[i].line, 0, "evidence %u without a line", i);
		cr_expect_neq(s->ev[i].rule[0], '\0', "evidence %u without a rule", i);
		cr_expect_neq(s->ev[i].text[0], '\0', "evidence %u without text", i);
	}
}

static bool evidence_has(const struct e53_session *s, uint64_t line, const char *rule, const char *text)
{
	const struct e53_evidence *e = t_evidence_line(s, line);

	return e && !e->previous && !strcmp(e->rule, rule) && !strcmp(e->text, text);
}

#define VERDICT(s, v) cr_expect_eq((s)->verdict, (v), "verdict %s, expected %s (why: %s)", \
				   e53_verdict_name((s)->verdict), e53_verdict_name(v), \
				   (s)->why ? (s)->why : "(null)")
#define CONFIDENCE(s, c) cr_expect((s)->confidence && !strcmp((s)->confidence, (c)), \
				   "confidence %s, expected %s", (s)->confidence ? (s)->confidence : "(null)", (c))

/* ---- verdicts ----------------------------------------------------------- */

Test(verdict, biometric_mismatch_inside_fdr_is_high)
{
	cause_fn c[] = { bio };
	uint64_t l[1], st;
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 1, l, &st);
	cr_assert_eq(s.outcome, E53_OUT_FAILURE);
	cr_assert_eq(s.code, 53);
	VERDICT(&s, E53_V_BIOMETRIC);
	CONFIDENCE(&s, "high");
	check_evidence(&s);
	cr_expect(evidence_has(&s, l[0], "mesa-sep-error", SEP_ERROR), "the SEP error line is not in the evidence");
	cr_expect(t_evidence_line(&s, l[0])->in_fdr);
	cr_expect_not_null(s.why);
	cr_expect_gt(s.nactions, 0);
}

Test(verdict, cable_fault_from_a_cable_line)
{
	cause_fn c[] = { no_sensor };
	uint64_t l[1];
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 1, l, NULL);
	VERDICT(&s, E53_V_CABLE);
	CONFIDENCE(&s, "high");
	check_evidence(&s);
	cr_expect(evidence_has(&s, l[0], "mesa-sensor-absent", NO_SENSOR));
	cr_expect_not_null(t_action(&s, "cable"), "cable-fault advice must mention the flex cable:\n%s",
			   t_actions_str(&s));
}

Test(verdict, cable_fault_from_repeated_resets_without_sensor_up)
{
	cause_fn c[] = { reset, reset };
	uint64_t l[2];
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 2, l, NULL);
	VERDICT(&s, E53_V_CABLE);
	cr_expect_not_null(s.confidence);
	check_evidence(&s);
	cr_expect(evidence_has(&s, l[0], "mesa-sensor-reset", RESET), "the first reset line is the evidence");
}

Test(verdict, resets_with_sensor_up_or_a_single_reset_are_not_cable)
{
	cause_fn two_and_up[] = { reset, sensor_up, reset };
	cause_fn one[] = { reset };
	struct e53_session s;

	run53(&s, &IPHONE_6S, two_and_up, 3, NULL, NULL);
	cr_expect_neq(s.verdict, E53_V_CABLE, "the sensor came up: not a cable (verdict %s)", e53_verdict_name(s.verdict));
	VERDICT(&s, E53_V_UNDETERMINED);
	run53(&s, &IPHONE_6S, one, 1, NULL, NULL);
	VERDICT(&s, E53_V_UNDETERMINED);
}

Test(verdict, fdr_service_from_http_403)
{
	cause_fn c[] = { http403 };
	uint64_t l[1];
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 1, l, NULL);
	VERDICT(&s, E53_V_FDR_SERVICE);
	CONFIDENCE(&s, "high");
	check_evidence(&s);
	cr_expect(evidence_has(&s, l[0], "fdr-http-status", HTTP_403));
}

Test(verdict, factory_data_missing_from_found_data_null)
{
	cause_fn c[] = { found_null };
	uint64_t l[1];
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 1, l, NULL);
	VERDICT(&s, E53_V_FACTORY_DATA);
	CONFIDENCE(&s, "high");
	check_evidence(&s);
	cr_expect(evidence_has(&s, l[0], "fdr-found-data-null", FOUND_NULL));
}

Test(verdict, undetermined_without_cause_line)
{
	uint64_t st;
	struct e53_session s;

	run53(&s, &IPHONE_6S, NULL, 0, NULL, &st);
	cr_assert_eq(s.code, 53);
	VERDICT(&s, E53_V_UNDETERMINED);
	CONFIDENCE(&s, "low");
	check_evidence(&s);
	cr_expect(evidence_has(&s, st, "idr-status", "Status: Failed to recover FDR data."),
		  "undetermined lists the code line (line %llu)", (unsigned long long)st);
	cr_expect_not_null(s.why);
}

/* A host-only iTunes log: just the code. */
Test(verdict, undetermined_host_only_itunes_log)
{
	struct t_feed f;
	uint64_t lc;
	const struct e53_session *s;
	static const char AMR[] = "2016-02-10 14:03:11.000 iTunes[318:15b13]: <Restore Device 0x191823f0>: device returned AMR error 53";

	t_feed_init(&f, "iPhone Updater 1.log");
	t_lev(&f, "2016-02-10 13:55:01.000 iTunes[318:15b13]: restore library built Jan 28 2016 at 19:22:46",
	      E53_EV_START, "it-library-built", "family", "itunes-legacy", NULL);
	t_lev(&f, "2016-02-10 13:55:01.000 iTunes[318:15b13]: iTunes: Software payload version: 13C75",
	      E53_EV_IDENTITY, "it-target-build", "target_build", "13C75", NULL);
	t_lev(&f, "2016-02-10 14:00:02.000 iTunes[318:15b13]: <Restore Device 0x191823f0>: operation 19 progress -1",
	      E53_EV_OP, "it-op", "tag", "0x191823f0", "mode", "Restore", "op", "19", "progress", "-1", NULL);
	lc = t_lev(&f, AMR, E53_EV_OUTCOME, "it-amr-error", "tag", "0x191823f0", "mode", "Restore",
		   "status", "failure", "code", "53", NULL);
	t_end(&f);
	cr_assert_eq(f.out.n, 1);
	s = &f.out.v[0];
	cr_expect_eq(s->family, E53_FAM_ITUNES);
	VERDICT(s, E53_V_UNDETERMINED);
	CONFIDENCE(s, "low");
	check_evidence(s);
	cr_expect(evidence_has(s, lc, "it-amr-error", AMR));
	cr_expect_not_null(t_action(s, "restore log"), "undetermined says which log settles it:\n%s", t_actions_str(s));
	cr_expect_not_null(t_action(s, "13D20"), "a 13C75 target predates the fix:\n%s", t_actions_str(s));
	t_feed_free(&f);
}

Test(verdict, not_error53_on_success)
{
	struct t_feed f;
	const struct e53_session *s;

	t_feed_init(&f, "ok.log");
	prologue(&f, &IPHONE_6S);
	fdr_enter(&f);
	t_lev(&f, "[09:10:26.0101-GMT]{3>5} CHECKPOINT END: RESTORED:[0x0634] fdr_recover", E53_EV_STEP,
	      "rd-ckpt-end", "step", "0x0634", "state", "end", NULL);
	t_lev(&f, "Cleaning up...", E53_EV_UNEMBED, "host-unembed", NULL);
	t_lev(&f, "Status: Restore Finished", E53_EV_OUTCOME, "idr-status-finished", "status", "success",
	      "statusmsg", "Restore Finished", NULL);
	t_lev(&f, "DONE", E53_EV_END, "idr-done", "status", "success", NULL);
	t_end(&f);
	cr_assert_eq(f.out.n, 1);
	s = &f.out.v[0];
	cr_expect_eq(s->outcome, E53_OUT_SUCCESS);
	VERDICT(s, E53_V_NOT_ERROR53);
	t_feed_free(&f);
}

Test(verdict, not_error53_on_4013_with_usb_advice)
{
	struct t_feed f;
	const struct e53_session *s;

	t_feed_init(&f, "configurator.log");
	t_lev(&f, "[18:01:00.0001] Changing state from 'Idle' to 'Restoring'", E53_EV_START, "it-state-start",
	      "family", "mobilerestore", NULL);
	t_lev(&f, "[18:05:00.0001] <Restore Device 0x600003c4d5e0>: operation 13 progress 40", E53_EV_OP, "it-op",
	      "tag", "0x600003c4d5e0", "mode", "Restore", "op", "13", "progress", "40", NULL);
	t_lev(&f, "[18:09:01.7655] Restore completed, status: 4013", E53_EV_OUTCOME, "it-restore-completed-fail",
	      "status", "failure", "code", "4013", NULL);
	t_lev(&f, "[18:09:01.7656] Depth:0 Code:4013 Error:Device disconnected during restore", E53_EV_OUTCOME,
	      "it-depth0", "status", "failure", "code", "4013", "statusmsg", "Device disconnected during restore", NULL);
	t_end(&f);
	cr_assert_eq(f.out.n, 1);
	s = &f.out.v[0];
	cr_expect_eq(s->outcome, E53_OUT_FAILURE);
	cr_expect_eq(s->code, 4013);
	VERDICT(s, E53_V_NOT_ERROR53);
	cr_expect_gt(s->nactions, 0, "a failure gets advice");
	cr_expect_not_null(t_action(s, "USB"), "4013 advice mentions USB:\n%s", t_actions_str(s));
	t_feed_free(&f);
}

/* sysdiagnose: the device tree lists the sensor, no driver enumerated it. */
Test(verdict, cable_fault_from_ioreg_absence)
{
	struct e53_session *s = calloc(1, sizeof *s);
	static const char T[] = "mesa node present in IODeviceTree, no AppleMesaSEPDriver instance in IOService";

	cr_assert_not_null(s);
	s->family = E53_FAM_SYSDIAGNOSE;
	s->protocol = -1;
	snprintf(s->product_type, sizeof s->product_type, "iPhone9,3");
	s->saw_failure = true;
	s->has_code = true;
	s->code = 53;
	s->sensor_enumerated = 0;
	e53_session_add_evidence(s, E53_EC_IOREG, 120, "ioreg/IOService.txt", "t-ioreg", T, strlen(T), false, false);
	e53_finalize(s);
	e53_diagnose(s);
	VERDICT(s, E53_V_CABLE);
	check_evidence(s);
	cr_expect_gt(s->nactions, 0);
	free(s);
}

/* ---- confidence --------------------------------------------------------- */

Test(confidence, evidence_outside_the_fdr_step_is_medium)
{
	struct t_feed f;
	uint64_t lb;
	const struct e53_session *s;

	t_feed_init(&f, "restore.log");
	prologue(&f, &IPHONE_6S);
	lb = bio(&f); /* before fdr_recover begins */
	fdr_enter(&f);
	fdr_fail53(&f);
	epilogue53(&f);
	t_end(&f);
	cr_assert_eq(f.out.n, 1);
	s = &f.out.v[0];
	cr_expect(!t_evidence_line(s, lb)->in_fdr);
	VERDICT(s, E53_V_BIOMETRIC);
	CONFIDENCE(s, "medium");
	t_feed_free(&f);
}

/* the Error 53 model: "medium: ... or the final code is missing (log cut short)
 * while the FDR step failed with 53" - filled by hand: no code at all. */
Test(confidence, fdr_step_failed_53_without_final_code_is_medium)
{
	struct e53_session *s = calloc(1, sizeof *s);

	cr_assert_not_null(s);
	s->family = E53_FAM_IDEVICERESTORE;
	s->protocol = -1;
	s->sensor_enumerated = -1;
	snprintf(s->product_type, sizeof s->product_type, "iPhone8,1");
	s->saw_failure = true;
	s->fdr_seen = s->fdr_failed = s->fdr_failed53 = true;
	e53_session_add_evidence(s, E53_EC_BIOMETRIC, 40, NULL, "mesa-sep-error", SEP_ERROR, strlen(SEP_ERROR), true, false);
	e53_finalize(s);
	e53_diagnose(s);
	cr_expect_eq(s->outcome, E53_OUT_FAILURE);
	VERDICT(s, E53_V_BIOMETRIC);
	CONFIDENCE(s, "medium");
	free(s);
}

/* The same through the builder: the device log says FAILURE:(FAILURE:53) on
 * fdr_recover, with the SEP error inside the step, and then the capture
 * ends - no host `Status:` line, no final code.
 * Regression (fixed; src/diagnose.c, e53_diagnose; cause in src/session.c on_step): the
 * step's own code 53 is stored as the session code (set_code, rank 3), so
 * `final53` is true and the confidence is "high", although the Error 53 model asks
 * for "medium" when the final code is missing while the FDR step failed
 * with 53 (the `!s->has_code && s->fdr_failed53` branch of is53 can never be
 * reached from the builder).  Fix: remember whether the 53 came from a
 * final result (an outcome line: host status / final code / CFError, or a
 * sysdiagnose restore_error) - e.g. a `final_code` flag set in on_outcome -
 * and require it for "high". */
Test(confidence, regression_cut_short_after_fdr_failure_is_medium)
{
	struct t_feed f;
	const struct e53_session *s;

	t_feed_init(&f, "cut.log");
	prologue(&f, &IPHONE_6S);
	fdr_enter(&f);
	bio(&f);
	fdr_fail53(&f);
	t_end(&f); /* the capture stops here */
	cr_assert_eq(f.out.n, 1);
	s = &f.out.v[0];
	cr_expect_eq(s->outcome, E53_OUT_FAILURE);
	VERDICT(s, E53_V_BIOMETRIC);
	CONFIDENCE(s, "medium");
	t_feed_free(&f);
}

/* ---- Face ID ------------------------------------------------------------ */

Test(faceid, never_biometric_or_cable_on_face_id)
{
	cause_fn bio_c[] = { bio };
	cause_fn cable_c[] = { no_sensor };
	cause_fn reset_c[] = { reset, reset, reset };
	cause_fn *const sets[] = { bio_c, cable_c, reset_c };
	const size_t ns[] = { 1, 1, 3 };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct e53_session s;

		run53(&s, &IPHONE_X, sets[i], ns[i], NULL, NULL);
		cr_expect_neq(s.verdict, E53_V_BIOMETRIC, "case %zu: Face ID phone classified biometric-mismatch", i);
		cr_expect_neq(s.verdict, E53_V_CABLE, "case %zu: Face ID phone classified cable-fault", i);
		VERDICT(&s, E53_V_UNDETERMINED);
		cr_expect(s.why && strstr(s.why, "Face ID"), "case %zu: `why` must say Face ID (got: %s)", i,
			  s.why ? s.why : "(null)");
		cr_expect_gt(s.nactions, 0);
		check_evidence(&s);
	}
}

Test(faceid, network_cause_still_reported_on_face_id)
{
	cause_fn c[] = { bio, http403 };
	struct e53_session s;

	run53(&s, &IPHONE_X, c, 2, NULL, NULL);
	VERDICT(&s, E53_V_FDR_SERVICE);
}

/* ---- precedence --------------------------------------------------------- */

Test(precedence, network_outranks_touch_id_hardware)
{
	cause_fn c[] = { bio, http403 };
	uint64_t l[2];
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 2, l, NULL);
	VERDICT(&s, E53_V_FDR_SERVICE);
	check_evidence(&s);
	cr_expect(evidence_has(&s, l[1], "fdr-http-status", HTTP_403));
}

Test(precedence, network_outranks_factory_data)
{
	/* the log formats: foundData is NULL also precedes HTTP 403 chains */
	cause_fn c[] = { found_null, http403 };
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 2, NULL, NULL);
	VERDICT(&s, E53_V_FDR_SERVICE);
}

/* ---- evidence never crosses sessions ------------------------------------ */

Test(isolation, concurrent_devices_keep_their_evidence)
{
	struct t_feed f;
	uint64_t la;
	const struct e53_session *a, *b;
	unsigned i;

	t_feed_init(&f, "configurator.log");
	t_line(&f, "[10:30:00.0001] <Recovery Mode Device 0x600001f8c2a0>: Changing state from 'Idle' to 'Restoring'");
	t_event(&f, E53_EV_START, "it-state-start", "family", "mobilerestore", "tag", "0x600001f8c2a0", NULL);
	t_lev(&f, "[10:30:00.1001] <Recovery Mode Device 0x600001f8c2a0>: CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:08 ECID:0016A8E00A62C507 IBFL:3C",
	      E53_EV_TAG, "it-tag-ecid", "tag", "0x600001f8c2a0", "mode", "Recovery Mode", "ecid", "0016A8E00A62C507", NULL);
	t_line(&f, "[10:30:01.0001] <Recovery Mode Device 0x600001f9a100>: Changing state from 'Idle' to 'Restoring'");
	t_event(&f, E53_EV_START, "it-state-start", "family", "mobilerestore", "tag", "0x600001f9a100", NULL);
	t_lev(&f, "[10:30:01.1001] <Recovery Mode Device 0x600001f9a100>: CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:08 ECID:000A1B2C3D4E5F60 IBFL:3C",
	      E53_EV_TAG, "it-tag-ecid", "tag", "0x600001f9a100", "mode", "Recovery Mode", "ecid", "000A1B2C3D4E5F60", NULL);
	t_lev(&f, "[10:30:20.5002] <Restore Device 0x600001f8e4c0>: Restore mode device connected (ECID:0016A8E00A62C507)",
	      E53_EV_TAG, "it-tag-ecid", "tag", "0x600001f8e4c0", "mode", "Restore", "ecid", "0016A8E00A62C507", NULL);
	t_lev(&f, "[10:30:21.0002] <Restore Device 0x600001f9b380>: Restore mode device connected (ECID:000A1B2C3D4E5F60)",
	      E53_EV_TAG, "it-tag-ecid", "tag", "0x600001f9b380", "mode", "Restore", "ecid", "000A1B2C3D4E5F60", NULL);
	la = t_lev(&f, "[10:30:24.0001] <Restore Device 0x600001f8e4c0>: AppleMesaSEPDriver::sepMessageReceived: SEP returned error, request = 54, data = 1, length = 0",
		   E53_EV_EVIDENCE, "mesa-sep-error", "class", "biometric", "code", "54", NULL);
	t_lev(&f, "[10:30:25.0001] <Restore Device 0x600001f9b380>: device returned AMR error 53", E53_EV_OUTCOME,
	      "it-amr-error", "tag", "0x600001f9b380", "mode", "Restore", "status", "failure", "code", "53", NULL);
	t_lev(&f, "[10:30:26.0001] <Restore Device 0x600001f8e4c0>: device returned AMR error 53", E53_EV_OUTCOME,
	      "it-amr-error", "tag", "0x600001f8e4c0", "mode", "Restore", "status", "failure", "code", "53", NULL);
	t_lev(&f, "[10:30:27.0001] <Restore Device 0x600001f9b380>: Restore completed, status: 53", E53_EV_OUTCOME,
	      "it-restore-completed-fail", "tag", "0x600001f9b380", "status", "failure", "code", "53", NULL);
	t_lev(&f, "[10:30:28.0001] <Restore Device 0x600001f8e4c0>: Restore completed, status: 53", E53_EV_OUTCOME,
	      "it-restore-completed-fail", "tag", "0x600001f8e4c0", "status", "failure", "code", "53", NULL);
	t_end(&f);

	cr_assert_eq(f.out.n, 2);
	a = &f.out.v[0];
	b = &f.out.v[1];
	cr_expect_eq(a->ecid, 0x0016a8e00a62c507ULL);
	cr_expect_eq(b->ecid, 0x000a1b2c3d4e5f60ULL);
	cr_expect_eq(a->code, 53);
	cr_expect_eq(b->code, 53);
	VERDICT(a, E53_V_BIOMETRIC);
	VERDICT(b, E53_V_UNDETERMINED);
	cr_expect_not_null(t_evidence_line(a, la));
	cr_expect_null(t_evidence_line(b, la), "A's Touch ID line is in B's evidence");
	for (i = 0; i < b->nev; i++)
		cr_expect_neq(b->ev[i].cls, E53_EC_BIOMETRIC);
	check_evidence(b);
	t_feed_free(&f);
}

Test(isolation, sequential_runs_keep_their_evidence)
{
	struct t_feed f;
	uint64_t lb;
	const struct e53_session *s1, *s2;

	t_feed_init(&f, "two-runs.log");
	prologue(&f, &IPHONE_6S);
	fdr_enter(&f);
	lb = bio(&f);
	fdr_fail53(&f);
	epilogue53(&f);
	prologue(&f, &IPHONE_7);
	fdr_enter(&f);
	fdr_fail53(&f);
	epilogue53(&f);
	t_end(&f);
	cr_assert_eq(f.out.n, 2);
	s1 = &f.out.v[0];
	s2 = &f.out.v[1];
	VERDICT(s1, E53_V_BIOMETRIC);
	VERDICT(s2, E53_V_UNDETERMINED);
	cr_expect_null(t_evidence_line(s2, lb));
	cr_expect_eq(s2->class_count[E53_EC_BIOMETRIC], 0);
	t_feed_free(&f);
}

/* The log of an earlier attempt does not decide this attempt's verdict. */
Test(isolation, previous_attempt_evidence_does_not_decide)
{
	struct t_feed f;
	const struct e53_session *s;

	t_feed_init(&f, "retry.log");
	prologue(&f, &IPHONE_6S);
	t_lev(&f, "Previous Restore Log Received:", E53_EV_EMBED, "idr-previous-log", "what", "previous", NULL);
	fdr_enter(&f);
	bio(&f);
	fdr_fail53(&f);
	t_lev(&f, "ReverseProxy[Ctrl]: (status=1) Ready", E53_EV_UNEMBED, "host-unembed", NULL);
	t_lev(&f, "Log is available:", E53_EV_EMBED, "idr-log-available", "what", "device", NULL);
	fdr_enter(&f);
	fdr_fail53(&f);
	epilogue53(&f);
	t_end(&f);
	cr_assert_eq(f.out.n, 1);
	s = &f.out.v[0];
	cr_expect_eq(s->code, 53);
	VERDICT(s, E53_V_UNDETERMINED);
	t_feed_free(&f);
}

/* ---- advice ------------------------------------------------------------- */

static const char *dfu_action(const struct e53_session *s)
{
	const char *a = t_action(s, "DFU");

	cr_assert_not_null(a, "no DFU advice:\n%s", t_actions_str(s));
	return a;
}

Test(actions, dfu_sequence_follows_the_model)
{
	cause_fn c[] = { bio };
	struct e53_session s;
	const char *a;

	run53(&s, &IPHONE_7, c, 1, NULL, NULL);
	VERDICT(&s, E53_V_BIOMETRIC);
	a = dfu_action(&s);
	cr_expect(strstr(a, "Volume Down") && strstr(a, "Side"), "iPhone 7: Volume Down + Side, got: %s", a);
	cr_expect(!strstr(a, "Volume Up"), "iPhone 7 has no Volume Up step: %s", a);
	cr_expect(!strstr(a, "Home"), "iPhone 7 has no Home-button DFU: %s", a);

	run53(&s, &IPHONE_6S, c, 1, NULL, NULL);
	a = dfu_action(&s);
	cr_expect(strstr(a, "Home") != NULL, "iPhone 6s: Home + Side/Top, got: %s", a);
	cr_expect(!strstr(a, "Volume"), "iPhone 6s DFU uses no volume button: %s", a);

	run53(&s, &IPHONE_8, c, 1, NULL, NULL);
	a = dfu_action(&s);
	cr_expect(strstr(a, "Volume Up") != NULL, "iPhone 8: Volume Up, Volume Down, Side, got: %s", a);
	cr_expect(!strstr(a, "Home"), "iPhone 8 has no Home-button DFU: %s", a);
}

Test(actions, target_before_13D20_mentions_the_fix)
{
	cause_fn c[] = { bio };
	struct e53_session s;
	struct e53_session t;
	const char *a;

	run53(&s, &IPHONE_6S_OLD, c, 1, NULL, NULL);
	run53(&t, &IPHONE_6S, c, 1, NULL, NULL);
	a = t_action(&s, "13D20");

	cr_assert_str_eq(s.target_build, "13D15");
	cr_assert_not_null(a, "a 13D15 target must point at the 13D20 fix:\n%s", t_actions_str(&s));
	cr_expect_str_neq(a, dfu_action(&t), "the advice for a 13D15 target should differ from a 14A403 one");
}

Test(actions, biometric_advice_covers_the_model_steps)
{
	cause_fn c[] = { bio };
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 1, NULL, NULL);
	cr_expect_not_null(t_action(&s, "repair history"), "%s", t_actions_str(&s));
	cr_expect_not_null(t_action(&s, "Apple"), "%s", t_actions_str(&s));
	cr_expect_not_null(t_action(&s, "without Touch ID"), "%s", t_actions_str(&s));
	cr_expect_not_null(t_action(&s, "checkcoverage.apple.com"), "%s", t_actions_str(&s));
}

Test(actions, fdr_service_is_not_hardware)
{
	cause_fn c[] = { http403 };
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 1, NULL, NULL);
	VERDICT(&s, E53_V_FDR_SERVICE);
	cr_expect_not_null(t_action(&s, "not a hardware fault"), "%s", t_actions_str(&s));
	cr_expect_null(t_action(&s, "repair history"), "fdr-service must not send the user after parts:\n%s",
		       t_actions_str(&s));
	cr_expect_not_null(t_action(&s, "proxy"), "%s", t_actions_str(&s));
}

Test(actions, factory_data_is_logic_board)
{
	cause_fn c[] = { found_null };
	struct e53_session s;

	run53(&s, &IPHONE_6S, c, 1, NULL, NULL);
	cr_expect_not_null(t_action(&s, "logic-board"), "%s", t_actions_str(&s));
}

Test(actions, every_failing_verdict_has_actions)
{
	cause_fn bio_c[] = { bio }, cable_c[] = { no_sensor }, net_c[] = { http403 }, fd_c[] = { found_null };
	const struct {
		const cause_fn *c;
		size_t n;
		enum e53_verdict v;
	} cases[] = {
		{ bio_c, 1, E53_V_BIOMETRIC }, { cable_c, 1, E53_V_CABLE }, { net_c, 1, E53_V_FDR_SERVICE },
		{ fd_c, 1, E53_V_FACTORY_DATA }, { NULL, 0, E53_V_UNDETERMINED },
	};
	size_t i;
	unsigned k;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct e53_session s;

		run53(&s, &IPHONE_6S, cases[i].c, cases[i].n, NULL, NULL);
		VERDICT(&s, cases[i].v);
		cr_expect_gt(s.nactions, 0, "%s without actions", e53_verdict_name(s.verdict));
		cr_expect_leq(s.nactions, E53_MAX_ACTIONS);
		for (k = 0; k < s.nactions; k++)
			cr_expect(s.actions[k] && s.actions[k][0], "%s: empty action %u", e53_verdict_name(s.verdict), k);
		cr_expect_not_null(s.confidence);
		check_evidence(&s);
	}
}

/* e53_diagnose is idempotent (the renderers may call it again). */
Test(actions, diagnose_is_idempotent)
{
	cause_fn c[] = { bio };
	struct e53_session s;
	unsigned n;
	enum e53_verdict v;
	const char *conf;

	run53(&s, &IPHONE_7, c, 1, NULL, NULL);
	n = s.nactions;
	v = s.verdict;
	conf = s.confidence;

	e53_diagnose(&s);
	cr_expect_eq(s.nactions, n);
	cr_expect_eq(s.verdict, v);
	cr_expect_eq(s.confidence, conf);
}

/* ---- builds and --explain ---------------------------------------------- */

static int sgn(int v)
{
	return (v > 0) - (v < 0);
}

Test(explain, build_ordering)
{
	static const char *const order[] = { "9A334", "13C75", "13D15", "13D20", "13D20a", "13E5", "13E233", "14A403", "21C66" };
	size_t i, j;

	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		for (j = 0; j < sizeof order / sizeof order[0]; j++) {
			int want = i < j ? -1 : i > j;

			cr_expect_eq(sgn(e53_build_cmp(order[i], order[j])), want, "cmp(%s, %s) = %d, expected %d",
				     order[i], order[j], e53_build_cmp(order[i], order[j]), want);
		}
	cr_expect_eq(e53_build_cmp("13D20", "13D20"), 0);
	cr_expect_gt(e53_build_cmp("13D20a", "13D20"), 0);
	cr_expect_lt(e53_build_cmp("13D15", "13D20"), 0);
	cr_expect_lt(e53_build_cmp("13D20", "13E5"), 0);
	cr_expect_lt(e53_build_cmp("13E5", "14A403"), 0);
}

Test(explain, code_4013_has_numbered_steps)
{
	struct e53_buf b;

	e53_buf_init(&b, 0);
	cr_assert_eq(e53_explain("4013", &b), E53_OK);
	cr_assert_not_null(b.data);
	cr_expect(strstr(b.data, "4013") != NULL, "%s", b.data);
	cr_expect(strstr(b.data, "1. ") != NULL, "no step 1:\n%s", b.data);
	cr_expect(strstr(b.data, "2. ") != NULL, "no step 2:\n%s", b.data);
	cr_expect(strcasestr(b.data, "USB") != NULL, "4013 is a USB-class error:\n%s", b.data);
	e53_buf_release(&b);
}

Test(explain, minus53_and_unknown_codes)
{
	struct e53_buf b;

	e53_buf_init(&b, 0);
	cr_assert_eq(e53_explain("-53", &b), E53_OK);
	cr_expect(strstr(b.data, "53") != NULL);
	cr_expect(strstr(b.data, "FDR") != NULL, "%s", b.data);
	cr_expect(strstr(b.data, "1. ") != NULL, "%s", b.data);
	e53_buf_reset(&b);
	cr_assert_eq(e53_explain("987654", &b), E53_OK, "an unknown code still gets the generic advice");
	cr_expect(strstr(b.data, "987654") != NULL);
	cr_expect(strstr(b.data, "1. ") != NULL, "%s", b.data);
	e53_buf_release(&b);
}

Test(explain, not_a_number_is_einval)
{
	struct e53_buf b;

	e53_buf_init(&b, 0);
	cr_expect_eq(e53_explain("x", &b), E53_EINVAL);
	cr_expect_eq(e53_explain("", &b), E53_EINVAL);
	cr_expect_eq(e53_explain("53x", &b), E53_EINVAL);
	e53_buf_release(&b);
}
