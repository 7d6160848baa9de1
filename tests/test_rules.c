/* test_rules.c: the built-in rule files (rules/NN-*.rules) and the rule engine's
 * contract as the rule files use it.
 *
 * - every built-in rule compiles and passes its own samples;
 * - each family's key lines give the events and fields the session builder
 *   relies on (kind, rule id, fields), and near misses give nothing;
 * - rule-file errors are reported as NAME:LINE:, sample failures fail the
 *   compile, a user rule replaces a built-in rule of the same id, a rule
 *   without `literal` is still prefiltered, and after a bare CR only the
 *   last segment of a line counts.
 * The lines below are composed for the test (invented identifiers). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "err53/rules.h"

#define MAX_EV 16
#define FIELD_MAX 256

struct got_event {
	enum e53_event_kind kind;
	char rule[64];
	bool has[E53_F__COUNT];
	char f[E53_F__COUNT][FIELD_MAX];
};

struct got {
	unsigned n;
	struct got_event ev[MAX_EV];
};

static void collect(void *ctx, const struct e53_event *ev)
{
	struct got *g = ctx;
	struct got_event *e;
	int i;

	if (g->n >= MAX_EV)
		return;
	e = &g->ev[g->n++];
	memset(e, 0, sizeof *e);
	e->kind = ev->kind;
	snprintf(e->rule, sizeof e->rule, "%s", ev->rule);
	for (i = 0; i < E53_F__COUNT; i++) {
		if (!ev->f[i].p)
			continue;
		e->has[i] = true;
		snprintf(e->f[i], FIELD_MAX, "%.*s", (int)ev->f[i].n, ev->f[i].p);
	}
}

/* Built-in rules, compiled; fails the test with the diagnostics otherwise. */
static struct e53_rules *builtin(void)
{
	struct e53_rules *rs = e53_rules_new();
	struct e53_buf diag;
	e53_status st;

	cr_assert_not_null(rs);
	e53_buf_init(&diag, 0);
	st = e53_rules_add_builtin(rs, &diag);
	cr_assert_eq(st, E53_OK, "built-in rules do not parse:\n%s", diag.data ? diag.data : "");
	st = e53_rules_compile(rs, &diag);
	cr_assert_eq(st, E53_OK, "built-in rules do not compile:\n%s", diag.data ? diag.data : "");
	e53_buf_release(&diag);
	return rs;
}

/* Rules from text only (no built-ins); returns the compile status. */
static e53_status from_text(const char *name, const char *text, struct e53_rules **out,
			    struct e53_buf *diag)
{
	struct e53_rules *rs = e53_rules_new();
	e53_status st;

	cr_assert_not_null(rs);
	st = e53_rules_parse(rs, name, text, strlen(text), diag);
	if (st == E53_OK)
		st = e53_rules_compile(rs, diag);
	*out = rs;
	return st;
}

static struct e53_rules *g_rules;
static struct e53_matcher *g_m;

static void setup(void)
{
	g_rules = builtin();
	g_m = e53_matcher_new(g_rules);
	cr_assert_not_null(g_m);
}

static void teardown(void)
{
	e53_matcher_free(&g_m);
	e53_rules_free(&g_rules);
}

static struct got match(const char *line)
{
	struct got g;

	memset(&g, 0, sizeof g);
	e53_match_line(g_m, line, strlen(line), 1, collect, &g);
	return g;
}

static int field_key(const char *name, size_t n)
{
	int i;

	for (i = 0; i < E53_F__COUNT; i++)
		if (strlen(e53_field_name(i)) == n && !memcmp(e53_field_name(i), name, n))
			return i;
	return -1;
}

/* Asserts that `line` gives an event of `rule` with `kind` and the fields
 * in `expect` ("key=value|key=value", values may hold spaces and ';'). */
static void expect_event(const char *line, const char *rule, enum e53_event_kind kind,
			 const char *expect)
{
	struct got g = match(line);
	const struct got_event *e = NULL;
	unsigned i;

	for (i = 0; i < g.n; i++)
		if (!strcmp(g.ev[i].rule, rule))
			e = &g.ev[i];
	cr_assert_not_null(e, "no event from rule %s for line: %s", rule, line);
	cr_expect_eq(e->kind, kind, "rule %s: kind %s, expected %s", rule,
		     e53_event_kind_name(e->kind), e53_event_kind_name(kind));
	while (expect && *expect) {
		const char *semi = strchr(expect, '|');
		size_t len = semi ? (size_t)(semi - expect) : strlen(expect);
		const char *eq = memchr(expect, '=', len);
		int k;

		cr_assert_not_null(eq, "bad expectation '%s'", expect);
		k = field_key(expect, (size_t)(eq - expect));
		cr_assert_geq(k, 0, "unknown field in '%.*s'", (int)len, expect);
		cr_expect(e->has[k], "rule %s: field %s missing (line: %s)", rule, e53_field_name(k), line);
		cr_expect(e->has[k] && strlen(e->f[k]) == len - (size_t)(eq + 1 - expect) &&
				  !memcmp(e->f[k], eq + 1, len - (size_t)(eq + 1 - expect)),
			  "rule %s: field %s is '%s', expected '%.*s'", rule, e53_field_name(k), e->f[k],
			  (int)(len - (size_t)(eq + 1 - expect)), eq + 1);
		expect = semi ? semi + 1 : expect + len;
	}
}

static void expect_no_rule(const char *line, const char *rule)
{
	struct got g = match(line);
	unsigned i;

	for (i = 0; i < g.n; i++)
		cr_expect(strcmp(g.ev[i].rule, rule) != 0, "rule %s matched a near miss: %s", rule, line);
}

static void expect_no_kind(const char *line, enum e53_event_kind kind)
{
	struct got g = match(line);
	unsigned i;

	for (i = 0; i < g.n; i++)
		cr_expect(g.ev[i].kind != kind, "rule %s gave a %s event for: %s", g.ev[i].rule,
			  e53_event_kind_name(kind), line);
}

/* ------------------------------------------------------------------------ */

Test(builtin, compiles_with_samples)
{
	struct e53_rules *rs = builtin();

	cr_expect_gt(e53_rules_count(rs), 100, "only %zu built-in rules", e53_rules_count(rs));
	e53_rules_free(&rs);
	cr_expect_null(rs);
}

Test(builtin, every_rule_is_prefiltered, .init = setup, .fini = teardown)
{
	uint64_t lines, cand;
	const char *noise[] = {
		"Extracting kernelcache.release.d22 (kernelcache.release.d22)...",
		"[08:12:53.3847] amai: AMAuthInstallDebugWriteObject: debug object written",
		"found display: primary",
		"hello world",
	};
	size_t i;

	for (i = 0; i < sizeof noise / sizeof noise[0]; i++)
		match(noise[i]);
	e53_matcher_stats(g_m, &lines, &cand);
	cr_expect_eq(lines, 4);
	cr_expect_eq(cand, 0, "%llu noise lines reached a regex: a built-in rule has no literal",
		     (unsigned long long)cand);
}

Test(itunes_legacy, key_lines, .init = setup, .fini = teardown)
{
	expect_event("2013-05-14 09:12:33.501 [4412:1b2c]: restore library built Apr  2 2013 at 20:11:09",
		     "it-library-built", E53_EV_START, "family=itunes-legacy");
	expect_event("2013-05-14 09:12:33.502 [4412:1b2c]: iTunes: Software payload version: 10B329 (option key)",
		     "it-target-build", E53_EV_IDENTITY, "target_build=10B329");
	expect_event("2013-05-14 09:13:01.220 [4412:1d08]: <Restore Device 05B3C1A0>: operation 19 progress -1",
		     "it-op", E53_EV_OP, "op=19|progress=-1|tag=05B3C1A0|mode=Restore");
	expect_event("2011-02-03 18:00:00.000 iTunes[233:a07]: <Recovery Mode Device 0x1a2b3c40>: operation 42 progress -1",
		     "it-op", E53_EV_OP, "op=42|mode=Recovery Mode|tag=0x1a2b3c40");
	expect_event("2013-05-14 09:12:40.113 [4412:1d08]: amai: tss_submit_job: error from server=94 (This device isn't eligible for the requested build.)",
		     "tss-amai-server-error", E53_EV_OUTCOME, "tss=94|status=failure|subsystem=tss");
	expect_event("2013-05-14 09:12:40.117 [4412:1d08]: amai: kAMAuthInstallRequestCacheLocalizedTssError: cached server error text: (3194) This device isn't eligible for the requested build.",
		     "tss-amai-cached-error", E53_EV_OUTCOME, "code=3194");
	expect_event("2013-05-14 09:20:41.000 [4412:1d08]: device returned AMR error 1015",
		     "it-amr-error", E53_EV_OUTCOME, "code=1015|status=failure");
	expect_event("2010-08-02 19:03:10.020 [2840:b2c]: radio-error = 512",
		     "it-radio-error", E53_EV_STAGE, "subsystem=baseband|outcome=failed|what=512");
	expect_event("2019-03-01 10:00:00.000 [3184:77c]: command device request for 'getenv auto-boot' failed: 2008",
		     "it-usb-failed", E53_EV_STAGE, "subsystem=usb|outcome=failed|what=2008");
	expect_event("2012-01-01 10:00:00.000 [1500:9a0]: ==== device restore output ====",
		     "it-device-output", E53_EV_EMBED, "what=device");
	/* the usb code is not an Apple code, and `radio-error = 0` is no error */
	expect_no_kind("2019-03-01 10:00:00.000 [3184:77c]: command device request for 'getenv auto-boot' failed: 2008",
		       E53_EV_OUTCOME);
	expect_no_rule("2010-08-02 19:03:10.020 [2840:b2c]: radio-error = 0", "it-radio-error");
}

Test(mobilerestore, key_lines, .init = setup, .fini = teardown)
{
	expect_event("2015-01-01 10:00:00.000 [812:a10]: iTunes: Using MobileRestore state machine",
		     "it-mobilerestore-family", E53_EV_IDENTITY, "family=mobilerestore");
	expect_event("[09:00:01.1000] Changing state from 'Idle' to 'Restoring'",
		     "it-state-start", E53_EV_START, "family=mobilerestore");
	expect_event("[09:00:01.1000] requested restore behavior: Update",
		     "it-behavior", E53_EV_IDENTITY, "behavior=Update");
	expect_event("[09:10:02.2000] <Restore Device 0x600002d1e2f0>: Restore completed, status: 53",
		     "it-restore-completed-fail", E53_EV_OUTCOME,
		     "code=53|status=failure|tag=0x600002d1e2f0|mode=Restore");
	expect_event("[09:10:02.2000] Restore completed, status: 0",
		     "it-restore-completed-ok", E53_EV_OUTCOME, "status=success");
	expect_event("[09:10:02.2001] Depth:0 Code:4014 Error:Device did not come back",
		     "it-depth0", E53_EV_OUTCOME, "code=4014");
	expect_no_rule("[09:10:02.2002] Depth:1 Code:-1 Error:inner cause", "it-depth0");
	expect_event("[08:13:47.3335] Completed checkpoint id: 0x634",
		     "it-completed-checkpoint", E53_EV_STEP, "step=0x634|state=complete");
	expect_event("[21:03:44.7301] Device disappeared during transition",
		     "it-transition-failed", E53_EV_STAGE, "subsystem=usb|outcome=failed");
	expect_event("AMPDevicesAgent: Restore error 4042", "it-ampdevicesagent", E53_EV_OUTCOME,
		     "code=4042");
}

Test(mobilerestore, concurrent_device_tags, .init = setup, .fini = teardown)
{
	const char *serial_line =
		"[10:30:00.1001] <Recovery Mode Device 0x600002c0a1b0>: CPID:8015 CPRV:11 CPFM:03 SCEP:01 BDID:06 ECID:000A1B2C3D4E5F60 IBFL:3C SRNM:[G0XQ7T2KJC6M]";

	expect_event(serial_line, "it-tag-ecid", E53_EV_TAG,
		     "tag=0x600002c0a1b0|mode=Recovery Mode|ecid=000A1B2C3D4E5F60|serial=G0XQ7T2KJC6M");
	/* a tagged serial string must not also give an untagged identity */
	expect_no_rule(serial_line, "it-iboot-ecid");
	expect_event("[10:30:21.0002] <Restore Device 0x600002c7d8e0>: Restore mode device connected (ECID:000A1B2C3D4E5F60)",
		     "it-tag-ecid", E53_EV_TAG, "tag=0x600002c7d8e0|mode=Restore|ecid=000A1B2C3D4E5F60");
	expect_event("2014-02-11 15:22:10.130 [3012:1f4]: CPID:8960 CPRV:11 CPFM:03 SCEP:01 BDID:04 ECID:00000C1D2E3F4A5B IBFL:1B",
		     "it-iboot-ecid", E53_EV_IDENTITY, "ecid=00000C1D2E3F4A5B");
}

Test(idevicerestore, key_lines, .init = setup, .fini = teardown)
{
	expect_event("idevicerestore 1.0.0-131-g0a1b2c3", "idr-banner", E53_EV_START,
		     "family=idevicerestore|what=1.0.0-131-g0a1b2c3");
	expect_event("bench@lab:~$ sudo idevicerestore -e -y iPhone_4.7_P3_15.8_19H370_Restore.ipsw",
		     "idr-command-echo", E53_EV_START, "family=idevicerestore");
	expect_event("Found ECID 1234567890123456", "idr-ecid", E53_EV_IDENTITY, "ecid=1234567890123456");
	expect_event("13:02:11.301    <Info> ECID: 987654321012345", "idr-ecid", E53_EV_IDENTITY,
		     "ecid=987654321012345");
	expect_event("Identified device as n69uap, iPhone8,4", "idr-identified", E53_EV_IDENTITY,
		     "hw_model=n69uap|product_type=iPhone8,4");
	expect_event("INFO: device serial number is C7KQ2M9XGRY4", "idr-serial", E53_EV_IDENTITY,
		     "serial=C7KQ2M9XGRY4");
	expect_event("IPSW Product Build: 21G93 Major: 21", "idr-target-build", E53_EV_IDENTITY,
		     "target_build=21G93");
	expect_no_rule("Device Product Build: 21F90", "idr-target-build");
	expect_event("Variant: Customer Upgrade Install (IPSW)", "idr-variant", E53_EV_IDENTITY,
		     "behavior=Customer Upgrade Install (IPSW)");
	expect_event("Connected to com.apple.mobile.restored, version 13", "idr-protocol",
		     E53_EV_IDENTITY, "protocol=13");
	expect_event("Updating baseband (19)", "idr-op-firmware", E53_EV_OP, "op=19|name=Updating baseband");
	expect_event("14:03:11.977    <Info> Migrating data (40)", "idr-op-storage", E53_EV_OP, "op=40");
	expect_event("Certifying Savage (61)", "idr-op-firmware", E53_EV_OP, "op=61");
	expect_no_kind("Sending iBEC (1034000 bytes)...", E53_EV_OP);
	expect_no_kind("Unhandled status message (53)", E53_EV_OP);
	expect_event("Checkpoint 4294968884 complete with code 53", "idr-ckpt-complete", E53_EV_STEP,
		     "step=4294968884|code=53|state=complete");
	expect_event("07:18:04.907 <Verbose> Checkpoint FAILURE id: 0x634 result=53: [0]D(fatal FDR Error returned from RestoredFDRRecover())",
		     "idr-ckpt-failure", E53_EV_STEP, "step=0x634|code=53|state=failure");
	expect_event("Checkpoint started   id: 0x617 (fdr_save_data)", "idr-ckpt-started", E53_EV_STEP,
		     "step=0x617|name=fdr_save_data|state=started");
	expect_event("Status: Failed to recover FDR data.", "idr-status", E53_EV_OUTCOME,
		     "statusmsg=Failed to recover FDR data.|status=failure");
	expect_event("Status: Restore Finished", "idr-status-finished", E53_EV_OUTCOME, "status=success");
	expect_no_rule("Status: Restore Finished", "idr-status");
	expect_event("TSS server returned: STATUS=94&MESSAGE=This device isn't eligible for the requested build.",
		     "tss-server-status", E53_EV_OUTCOME, "tss=94");
	expect_event("Log is available:", "idr-log-available", E53_EV_EMBED, "what=device");
	expect_event("Previous Restore Log Received:", "idr-previous-log", E53_EV_EMBED, "what=previous");
	expect_event("ERROR: device didn't accept BasebandData", "idr-baseband-failed", E53_EV_STAGE,
		     "subsystem=baseband|outcome=failed");
	expect_event("ERROR: Unable to receive message from FDR 0x7fd1c0a0b2c0 (-2). 0/2 bytes",
		     "fdr-host-listener-error", E53_EV_EVIDENCE, "class=fdr-service|code=-2");
}

Test(idevicerestore, terminal_lines_give_several_events, .init = setup, .fini = teardown)
{
	struct got g = match("ERROR: Unable to restore device");
	bool end = false, out = false, unembed = false;
	unsigned i;

	for (i = 0; i < g.n; i++) {
		end |= g.ev[i].kind == E53_EV_END;
		out |= g.ev[i].kind == E53_EV_OUTCOME;
		unembed |= g.ev[i].kind == E53_EV_UNEMBED;
	}
	cr_expect(end && out && unembed, "Unable to restore device: end %d outcome %d unembed %d",
		  end, out, unembed);
	expect_event("DONE", "idr-done", E53_EV_END, "status=success");
	expect_event("DONE", "host-unembed", E53_EV_UNEMBED, NULL);
	expect_no_kind("Done sending BasebandData", E53_EV_END);
}

Test(futurerestore, key_lines, .init = setup, .fini = teardown)
{
	expect_event("Version: 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c - 205", "fr-version-banner",
		     E53_EV_START, "family=futurerestore");
	expect_event("Version: v2.0.0(1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d-322)", "fr-version-banner",
		     E53_EV_START, "family=futurerestore");
	expect_event("futurerestore init done", "fr-init-done", E53_EV_START, "family=futurerestore");
	expect_event("[TSSC] opening Buildmanifest for iPhone10,4_16.7.10", "fr-family-marker",
		     E53_EV_IDENTITY, "family=futurerestore");
	expect_event("me@mac fr % ./futurerestore -t 1122334455667788_iPhone10,4_d201ap_16.5-20F66_0a1b2c3d.shsh2 --latest-sep fw.ipsw",
		     "fr-shsh-name", E53_EV_IDENTITY,
		     "ecid=1122334455667788|product_type=iPhone10,4|hw_model=d201ap|target_build=20F66");
	expect_event("Found device iPhone7,2 n61ap", "fr-found-device", E53_EV_IDENTITY,
		     "product_type=iPhone7,2|hw_model=n61ap");
	expect_event("[Error] failed to load SEPManifest[Error] Fail code=-14", "fr-sep-manifest-failed",
		     E53_EV_STAGE, "subsystem=sep|outcome=failed");
	/* futurerestore's own code is not Apple's: `what`, never `code` */
	expect_event("Failed with errorcode=-14", "fr-errorcode", E53_EV_OUTCOME, "status=failure|what=-14");
	{
		struct got g = match("Failed with errorcode=-14");
		unsigned i;

		for (i = 0; i < g.n; i++)
			cr_expect(!g.ev[i].has[E53_F_CODE], "rule %s put -14 in code", g.ev[i].rule);
	}
	expect_event("Done: restoring succeeded!", "fr-done-succeeded", E53_EV_OUTCOME, "status=success");
	expect_event("Done: restoring failed!", "fr-end-failed", E53_EV_END, "status=failure");
	expect_event("[exception]:", "host-unembed", E53_EV_UNEMBED, NULL);
	expect_no_kind("code=103088145", E53_EV_OUTCOME);
}

Test(restored, key_lines, .init = setup, .fini = teardown)
{
	expect_event("[12:31:10.0200-GMT]{4>7} CHECKPOINT FAILURE:(FAILURE:53) RESTORED:[0x0634] fdr_recover [0]D(fatal FDR Error returned from RestoredFDRRecover())",
		     "rd-ckpt-failure", E53_EV_STEP,
		     "code=53|step=0x0634|name=fdr_recover|state=failure|scope=RESTORED");
	expect_event("[12:31:08.0413-GMT]{4>7} CHECKPOINT BEGIN: (null):[0x067B] perform_restore_installing",
		     "rd-ckpt-begin", E53_EV_STEP, "step=0x067B|state=begin|scope=(null)");
	expect_event("[07:40:02.0012-GMT]{3>6} CHECKPOINT BEGIN: MAIN:[0x0400] umask", "rd-umask-start",
		     E53_EV_START, "family=restored");
	expect_event("restore-step-results = {0x1107067B:{0:53};0x11070634:{0:53}}", "rd-step-results",
		     E53_EV_STEP, "what=results|name={0x1107067B:{0:53};0x11070634:{0:53}}");
	expect_event("executing /usr/sbin/nvram restore-step-codes={0x10070616:{0:6}}", "rd-step-results",
		     E53_EV_STEP, "name={0x10070616:{0:6}}");
	expect_event("0: AMRestoreErrorDomain/35: FDR recover failed", "rd-cferror-amrestore",
		     E53_EV_OUTCOME, "hexcode=35|status=failure");
	expect_event("ASR STATUS: fail", "rd-asr-failed", E53_EV_STAGE, "subsystem=filesystem|outcome=failed");
	expect_event("bbupdater: END(kBBUReturnFailCreateTransportFirst): Querying info at stage first",
		     "rd-baseband-failed", E53_EV_STAGE, "subsystem=baseband|outcome=failed");
	expect_no_rule("bbupdater: END(kBBUReturnSuccess): Querying info at stage first", "rd-baseband-failed");
}

Test(error53, evidence_lines, .init = setup, .fini = teardown)
{
	expect_event("SYSLOG: Jul  9 10:11:12 localhost kernel[0] <Notice>: AppleMesaSEPDriver::sepMessageReceived: SEP returned error, request = 54, data = 6, length = 0",
		     "mesa-sep-error", E53_EV_EVIDENCE, "class=biometric|code=54");
	expect_event("SYSLOG: Jul  9 10:11:12 localhost kernel[0] <Notice>: AppleMesaSEPDriver::sepMessageReceived: SEP returned error, request = 54, data = 6, length = 0",
		     "rd-mesa-failed", E53_EV_STAGE, "subsystem=mesa|outcome=failed");
	expect_event("SYSLOG: Jul  9 10:11:13 localhost kernel[0] <Notice>: AppleMesa::start: disabling the sensor",
		     "mesa-sensor-absent", E53_EV_EVIDENCE, "class=cable");
	expect_event("SYSLOG: Jul  9 10:11:13 localhost kernel[0] <Notice>: AppleMesaSEPDriver <- Reset with category SensorNotResponding has been requested!",
		     "mesa-sensor-reset", E53_EV_EVIDENCE, "class=sensor-reset");
	expect_event("SYSLOG: Jul  9 10:01:00 localhost kernel[0] <Notice>: AppleMesaSEPDriver: RecoveryTiming: RequestApproved (10) + 1ms -> SensorUp (20) + 30ms -> SessionEstablished (50) = Total: 31ms",
		     "mesa-sensor-up", E53_EV_EVIDENCE, "class=sensor-up");
	expect_no_rule("AppleMesaSEPDriver::waitForSensorUp: timeout waiting for sensor (attempt 1 of 3)",
		       "mesa-sensor-up");
	expect_event("entering RestoredFDRRecover", "fdr-recover-enter", E53_EV_EVIDENCE, "class=fdr-recover");
	expect_event("AMFDRCreateError: _AMFDRHttpRequestSendSyncNoRetry: _AMFDRHttpRequestSendSyncNoRetry returned status 403. x-fdr-message: 'Device not eligible': code=403",
		     "fdr-http-status", E53_EV_EVIDENCE, "class=fdr-service|code=403");
	expect_event("AMFDRCreateError: _AMFDRHttpRequestSendSyncNoRetry: _AMFDRHttpRequestSendSyncNoRetry returned status 403. x-fdr-message: 'Device not eligible': code=403",
		     "fdr-x-message", E53_EV_EVIDENCE, "class=fdr-service|what=Device not eligible");
	expect_event("AMFDRCreateError: _AMFDRHttpMessageSendSync: Failed to copy proxy information and proxy is enabled.: code=10",
		     "fdr-proxy", E53_EV_EVIDENCE, "class=fdr-service");
	expect_event("3: AMFDRError/193: _AMFDRHttpHandleHeaderMessage returned status 403.",
		     "fdr-error-http-hex", E53_EV_EVIDENCE, "hexcode=193");
	expect_event("AMFDRCreateError: AMFDRDataCopy: seal:00008030-00112233AABBCCDD get data failed - foundData is NULL: code=10",
		     "fdr-found-data-null", E53_EV_EVIDENCE, "class=factory-data");
	expect_event("RestoredFDRCreate() returned 6", "fdr-create-failed", E53_EV_EVIDENCE,
		     "class=factory-data|code=6");
	expect_no_kind("restored_fdr_initialize: FDR is supported", E53_EV_EVIDENCE);
	expect_no_kind("_AMFDRHttpLogResponse: header count=7 status=200", E53_EV_EVIDENCE);
}

/* ------------------------------------------------------------------------ */
/* The engine's contract, as rule authors rely on it                         */

Test(rulefile, syntax_errors_name_file_and_line)
{
	static const char bad[] =
		"# a rule file with mistakes\n"
		"rule good-one\n"
		"  pattern all is well\n"
		"  event   stage\n"
		"rule bad id\n"
		"  pattern x\n"
		"  event   nonsense\n"
		"  frobnicate yes\n"
		"  set     colour=blue\n";
	struct e53_rules *rs = e53_rules_new();
	struct e53_buf diag;
	e53_status st;

	e53_buf_init(&diag, 0);
	st = e53_rules_parse(rs, "bad.rules", bad, strlen(bad), &diag);
	cr_expect_eq(st, E53_ERULE);
	cr_assert_not_null(diag.data);
	cr_expect_not_null(strstr(diag.data, "bad.rules:5: "), "rule id error not at line 5:\n%s", diag.data);
	cr_expect_not_null(strstr(diag.data, "bad.rules:7: "), "event kind error not at line 7:\n%s", diag.data);
	cr_expect_not_null(strstr(diag.data, "bad.rules:8: "), "keyword error not at line 8:\n%s", diag.data);
	cr_expect_not_null(strstr(diag.data, "bad.rules:9: "), "set field error not at line 9:\n%s", diag.data);
	e53_buf_release(&diag);
	e53_rules_free(&rs);
}

Test(rulefile, pattern_error_and_unknown_capture_name)
{
	struct e53_rules *rs;
	struct e53_buf diag;

	e53_buf_init(&diag, 0);
	cr_expect_eq(from_text("p.rules", "rule p\n  pattern broken (group\n  event start\n", &rs, &diag),
		     E53_ERULE);
	cr_expect_not_null(strstr(diag.data ? diag.data : "", "p.rules:2: "), "%s", diag.data);
	e53_rules_free(&rs);
	e53_buf_reset(&diag);
	cr_expect_eq(from_text("q.rules", "rule q\n  pattern build (?<colour>\\d+)\n  event identity\n", &rs,
			       &diag),
		     E53_ERULE);
	cr_expect_not_null(strstr(diag.data ? diag.data : "", "q.rules:2: "), "%s", diag.data);
	cr_expect_not_null(strstr(diag.data ? diag.data : "", "colour"), "%s", diag.data);
	e53_rules_free(&rs);
	e53_buf_release(&diag);
}

Test(rulefile, failing_samples_fail_the_compile)
{
	struct e53_rules *rs;
	struct e53_buf diag;

	e53_buf_init(&diag, 0);
	/* a `match` sample the pattern does not match */
	cr_expect_eq(from_text("s.rules",
			       "rule s\n"
			       "  literal widget\n"
			       "  pattern widget (?<code>\\d+) failed\n"
			       "  event   outcome\n"
			       "  match   widget seven failed\n",
			       &rs, &diag),
		     E53_ERULE);
	cr_expect_not_null(strstr(diag.data ? diag.data : "", "s.rules:5: "), "%s", diag.data);
	cr_expect_not_null(strstr(diag.data ? diag.data : "", "does not match"), "%s", diag.data);
	e53_rules_free(&rs);

	/* an `expect` the sample does not produce */
	e53_buf_reset(&diag);
	cr_expect_eq(from_text("e.rules",
			       "rule e\n"
			       "  literal widget\n"
			       "  pattern widget (?<code>\\d+) failed\n"
			       "  event   outcome\n"
			       "  match   widget 7 failed\n"
			       "  expect  code=8\n",
			       &rs, &diag),
		     E53_ERULE);
	cr_expect_not_null(strstr(diag.data ? diag.data : "", "e.rules:6: "), "%s", diag.data);
	e53_rules_free(&rs);

	/* a `nomatch` sample that matches */
	e53_buf_reset(&diag);
	cr_expect_eq(from_text("n.rules",
			       "rule n\n"
			       "  literal widget\n"
			       "  pattern widget \\d+\n"
			       "  event   outcome\n"
			       "  match   widget 7 failed\n"
			       "  nomatch widget 8 failed\n",
			       &rs, &diag),
		     E53_ERULE);
	cr_expect_not_null(strstr(diag.data ? diag.data : "", "n.rules:6: "), "%s", diag.data);
	e53_rules_free(&rs);

	/* a sample that matches but holds none of the literals */
	e53_buf_reset(&diag);
	cr_expect_eq(from_text("l.rules",
			       "rule l\n"
			       "  literal gadget\n"
			       "  pattern widget \\d+\n"
			       "  event   outcome\n"
			       "  match   widget 7 failed\n",
			       &rs, &diag),
		     E53_ERULE);
	cr_expect_not_null(strstr(diag.data ? diag.data : "", "l.rules:5: "), "%s", diag.data);
	e53_rules_free(&rs);
	e53_buf_release(&diag);
}

Test(rulefile, user_rule_replaces_builtin_rule)
{
	static const char user[] =
		"rule mesa-sep-error\n"
		"  literal SEP returned error\n"
		"  pattern SEP returned error\n"
		"  event   evidence\n"
		"  set     class=biometric\n"
		"  set     what=user-override\n"
		"  match   AppleMesaSEPDriver::x: SEP returned error\n"
		"  nomatch SEP returned ok\n";
	struct e53_rules *plain = builtin(), *rs = e53_rules_new();
	struct e53_matcher *m;
	struct e53_buf diag;
	struct got g;
	const char *line = "SYSLOG: kernel[0] <Notice>: AppleMesaSEPDriver::sepMessageReceived: SEP returned error, request = 54";
	unsigned i, hits = 0;

	e53_buf_init(&diag, 0);
	cr_assert_eq(e53_rules_add_builtin(rs, &diag), E53_OK, "%s", diag.data);
	cr_assert_eq(e53_rules_parse(rs, "user.rules", user, strlen(user), &diag), E53_OK, "%s", diag.data);
	cr_assert_eq(e53_rules_compile(rs, &diag), E53_OK, "%s", diag.data ? diag.data : "");
	cr_expect_eq(e53_rules_count(rs), e53_rules_count(plain), "the override added a rule");

	m = e53_matcher_new(rs);
	cr_assert_not_null(m);
	memset(&g, 0, sizeof g);
	e53_match_line(m, line, strlen(line), 7, collect, &g);
	for (i = 0; i < g.n; i++) {
		if (strcmp(g.ev[i].rule, "mesa-sep-error"))
			continue;
		hits++;
		cr_expect_str_eq(g.ev[i].f[E53_F_WHAT], "user-override");
		cr_expect(!g.ev[i].has[E53_F_CODE], "the built-in pattern ran, not the user's");
	}
	cr_expect_eq(hits, 1, "mesa-sep-error fired %u times", hits);
	e53_matcher_free(&m);
	e53_rules_free(&rs);
	e53_rules_free(&plain);
	e53_buf_release(&diag);
}

Test(rulefile, literal_is_derived_when_absent)
{
	struct e53_rules *rs;
	struct e53_matcher *m;
	struct e53_buf diag, lits;
	struct got g;
	uint64_t lines, cand;
	const char *hit = "12:00:00 widget frobnication failed 42 times";

	e53_buf_init(&diag, 0);
	e53_buf_init(&lits, 0);
	cr_assert_eq(from_text("d.rules",
			       "rule derived\n"
			       "  pattern widget frobnication failed (?<code>\\d+)\n"
			       "  event   outcome\n"
			       "  match   widget frobnication failed 3\n"
			       "  expect  code=3\n",
			       &rs, &diag),
		     E53_OK, "%s", diag.data ? diag.data : "");
	e53_rules_literals(rs, &lits);
	cr_assert_not_null(lits.data);
	cr_expect_not_null(strstr(lits.data, "widget frobnication failed"), "derived literals: %s", lits.data);

	m = e53_matcher_new(rs);
	cr_assert_not_null(m);
	memset(&g, 0, sizeof g);
	cr_expect_eq(e53_match_line(m, "an unrelated line", 17, 1, collect, &g), 0);
	cr_expect_eq(e53_match_line(m, hit, strlen(hit), 2, collect, &g), 1);
	cr_expect_str_eq(g.ev[0].f[E53_F_CODE], "42");
	e53_matcher_stats(m, &lines, &cand);
	cr_expect_eq(lines, 2);
	cr_expect_eq(cand, 1, "the unrelated line reached the regex: no literal was derived");
	e53_matcher_free(&m);
	e53_rules_free(&rs);
	e53_buf_release(&lits);
	e53_buf_release(&diag);
}

Test(matching, cr_redraw_keeps_the_last_segment, .init = setup, .fini = teardown)
{
	/* a progress-bar redraw: only the text after the last CR counts */
	static const char a[] = "[=====>      ] 40.0%\rStatus: Restore Finished";
	static const char b[] = "Status: Restore Finished\r[==========>] 90.0%";
	static const char c[] = "Status: Restore Finished\rDONE";
	struct got g;

	expect_event(a, "idr-status-finished", E53_EV_OUTCOME, "status=success");
	g = match(b);
	cr_expect_eq(g.n, 0, "text before the last CR matched (%u events, first %s)", g.n,
		     g.n ? g.ev[0].rule : "");
	expect_event(c, "idr-done", E53_EV_END, "status=success");
	expect_no_rule(c, "idr-status-finished");
}

Test(matching, cr_redraw_user_rule)
{
	struct e53_rules *rs;
	struct e53_matcher *m;
	struct e53_buf diag;
	struct got g;

	e53_buf_init(&diag, 0);
	cr_assert_eq(from_text("cr.rules",
			       "rule cr\n"
			       "  literal new text\n"
			       "  pattern new text\n"
			       "  event   stage\n"
			       "  match   new text\n",
			       &rs, &diag),
		     E53_OK, "%s", diag.data ? diag.data : "");
	m = e53_matcher_new(rs);
	cr_assert_not_null(m);
	memset(&g, 0, sizeof g);
	cr_expect_eq(e53_match_line(m, "old\rnew text", 12, 1, collect, &g), 1);
	cr_expect_eq(e53_match_line(m, "new text\rold", 12, 2, collect, &g), 0);
	e53_matcher_free(&m);
	e53_rules_free(&rs);
	e53_buf_release(&diag);
}

/* The block scan's shortcut: a line's literal search may start where the
 * block scan (e53_rules_next_candidate, from an earlier line start of any
 * parity) says the first literal is.  On every line of the fixture logs,
 * searched from each of the three line starts before it, the events must
 * be those of a search from the line's start. */
static char *slurp_fixtures(size_t *len)
{
	static const char *names[] = {
		"fixtures/logs/itunes-mac-53-mesa.log", "fixtures/logs/idevicerestore-era2-53-cable.log",
		"fixtures/logs/itunes-win-long-success.log", "fixtures/logs/restored-long-success.log",
		"fixtures/logs/idevicerestore-debug-long.log", "fixtures/logs/futurerestore-53-fdr-proxy.log",
	};
	char *all = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		FILE *f = fopen(names[i], "rb");
		long sz;

		cr_assert_not_null(f, "%s (run from the project root)", names[i]);
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		rewind(f);
		all = realloc(all, n + (size_t)sz + 1);
		cr_assert_not_null(all);
		cr_assert_eq(fread(all + n, 1, (size_t)sz, f), (size_t)sz);
		n += (size_t)sz;
		fclose(f);
	}
	*len = n;
	return all;
}

static void same_events(const struct e53_event *a, unsigned na, const struct e53_event *b, unsigned nb,
			const char *line, size_t len)
{
	cr_assert_eq(na, nb, "%u events from the line's start, %u from the block scan's: %.*s", na, nb,
		     (int)len, line);
	for (unsigned i = 0; i < na; i++) {
		cr_assert_str_eq(a[i].rule, b[i].rule);
		for (unsigned k = 0; k < E53_F__COUNT; k++)
			cr_assert(a[i].f[k].p == b[i].f[k].p && a[i].f[k].n == b[i].f[k].n);
	}
}

Test(matching, block_scan_start_gives_the_same_events, .init = setup, .fini = teardown)
{
	size_t n, checked = 0;
	char *text = slurp_fixtures(&n);
	size_t starts[4] = { 0, 0, 0, 0 };   /* the last line starts, newest first */
	static struct e53_event full[32], part[32];

	for (size_t q = 0; q < n;) {
		char *nl = memchr(text + q, '\n', n - q);
		size_t end = nl ? (size_t)(nl - text) : n, len = end - q;

		memmove(starts + 1, starts, 3 * sizeof starts[0]);
		starts[0] = q;
		for (unsigned back = 0; back < 4; back++) {
			size_t from0 = starts[back], hit;

			/* a block scan from an earlier start that reaches this line */
			hit = e53_rules_next_candidate(g_rules, text, end + 1 <= n ? end + 1 : n, from0);
			if (hit < q || hit >= end)
				continue;
			{
				size_t from = hit - q >= 2 ? (hit - q - 2) & ~(size_t)1 : 0;
				unsigned a = e53_match_line_into(g_m, text + q, len, 1, 0, full, 32);
				unsigned b = e53_match_line_into(g_m, text + q, len, 1, from, part, 32);

				same_events(full, a, part, b, text + q, len);
				checked++;
			}
		}
		q = end + 1;
	}
	cr_assert_gt(checked, 1000, "only %zu lines checked", checked);
	free(text);
}
