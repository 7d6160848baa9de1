/* diagnose.c - the Error 53 model: verdict, confidence, evidence choice and
 * the numbered next steps, tailored to verdict, device model and build.
 * Also the advice by error category for other failures, and --explain. */
#include "err53/explain.h"
#include "err53/session.h"
#include "err53/tables.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[E53_V__COUNT] = {
	[E53_V_BIOMETRIC] = "biometric-mismatch",
	[E53_V_CABLE] = "cable-fault",
	[E53_V_FDR_SERVICE] = "fdr-service",
	[E53_V_FACTORY_DATA] = "factory-data-missing",
	[E53_V_UNDETERMINED] = "undetermined",
	[E53_V_NOT_ERROR53] = "not-error53",
};

static const char *const outcome_names[E53_OUT__COUNT] = {
	[E53_OUT_SUCCESS] = "success",
	[E53_OUT_FAILURE] = "failure",
	[E53_OUT_INCOMPLETE] = "incomplete",
};

const char *e53_verdict_name(enum e53_verdict v)
{
	return (unsigned)v < E53_V__COUNT ? verdict_names[v] : "?";
}

const char *e53_outcome_name(enum e53_outcome o)
{
	return (unsigned)o < E53_OUT__COUNT ? outcome_names[o] : "?";
}

/* Compares Apple build strings: major number, train letter, build number,
 * suffix letter ("13D20" < "13D20a" < "13E5"). */
int e53_build_cmp(const char *a, const char *b)
{
	long ma = strtol(a, (char **)&a, 10), mb = strtol(b, (char **)&b, 10);
	long na, nb;

	if (ma != mb)
		return ma < mb ? -1 : 1;
	if (*a != *b)
		return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
	if (*a) {
		a++;
		b++;
	}
	na = strtol(a, (char **)&a, 10);
	nb = strtol(b, (char **)&b, 10);
	if (na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a, b) < 0 ? -1 : strcmp(a, b) > 0;
}

static void act(struct e53_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void act(struct e53_session *s, const char *fmt, ...)
{
	va_list ap;

	if (s->nactions == E53_MAX_ACTIONS)
		return;
	va_start(ap, fmt);
	vsnprintf(s->action_buf[s->nactions], sizeof s->action_buf[0], fmt, ap);
	va_end(ap);
	s->actions[s->nactions] = s->action_buf[s->nactions];
	s->nactions++;
}

static const char *dfu_steps(const char *family)
{
	if (!family)
		return NULL;
	if (!strcmp(family, "home-side"))
		return "hold the Home button and the Side (or Top) button for 8 seconds, release the Side/Top "
		       "button and keep holding Home until the computer shows a device in recovery (the screen stays black)";
	if (!strcmp(family, "voldown-side"))
		return "hold Volume Down and the Side button for 8 seconds, release the Side button and keep "
		       "holding Volume Down until the computer shows a device in recovery (the screen stays black)";
	if (!strcmp(family, "volup-voldown-side"))
		return "press and release Volume Up, press and release Volume Down, hold the Side button until "
		       "the screen goes black, then hold Side and Volume Down for 5 seconds, release Side and keep "
		       "holding Volume Down for 10 seconds (the screen stays black)";
	return NULL;
}

static void act_dfu(struct e53_session *s, const struct e53_device *d, bool fix_note)
{
	const char *steps = d ? dfu_steps(d->dfu_family) : NULL;
	const char *why = "";

	if (fix_note) {
		if (s->target_build[0] && e53_build_cmp(s->target_build, "13D20") < 0)
			why = " The target build predates the Error 53 fix (iOS 9.2.1, build 13D20): with a "
			      "current iOS the restore completes and the device works with Touch ID disabled.";
		else
			why = " From iOS 9.2.1 (13D20) on, a 53 no longer leaves the phone unusable: the "
			      "restore completes with Touch ID disabled.";
	}
	if (steps && d && !strcmp(d->dfu_family, "home-side") && d->home_button && !strcmp(d->home_button, "none"))
		steps = "hold the Top button and Volume Down together, then keep holding Volume Down (iPad with Touch ID in the top button)";
	if (steps)
		act(s, "Restore in DFU mode with the current iOS. DFU on %s: %s.%s", d->name, steps, why);
	else
		act(s, "Restore in DFU mode with the current iOS (the DFU button sequence depends on the "
		       "model: Home + Side/Top up to iPhone 6s/SE 1st gen, Volume Down + Side on iPhone 7, "
		       "Volume Up, Volume Down, then Side on iPhone 8 and later).%s", why);
}

static void act_coverage(struct e53_session *s)
{
	if (s->serial[0])
		act(s, "Check AppleCare+ coverage for serial %s at checkcoverage.apple.com.", s->serial);
	else
		act(s, "Check AppleCare+ coverage with the serial number at checkcoverage.apple.com.");
}

static void act_apple(struct e53_session *s)
{
	act(s, "Contact Apple Support or an Apple Store; bring this report.");
}

static bool old_model(const struct e53_device *d)
{
	/* iPhone 5s through 6s Plus and SE (1st gen): the repair can cost near its value */
	return d && (!strncmp(d->product_type, "iPhone6,", 8) || !strncmp(d->product_type, "iPhone7,", 8) ||
		     !strncmp(d->product_type, "iPhone8,", 8));
}

/* Advice for a failure that is not a 53, by code and category. */
static void category_actions(struct e53_session *s, long code, const char *category)
{
	if (code == 3194 || (code >= 3100 && code <= 3999)) {
		act(s, "The signing server (TSS) refused or was not reached: make sure the computer reaches gs.apple.com directly (no hosts-file redirect, proxy or firewall in the way).");
		act(s, "Apple signs only current iOS versions: restore the latest iOS for this device.");
		act(s, "Check the computer's date and time, then retry.");
		return;
	}
	if (code == 4013 || code == 4014 || code == 9 || code == 4005) {
		act(s, "Use another Apple USB cable and a USB port directly on the computer (no hub, no adapter).");
		act(s, "Update the computer (macOS / iTunes / Apple Devices) and retry in DFU mode.");
		act(s, "If it fails the same way on another computer, suspect hardware (logic board or storage): Apple service.");
		return;
	}
	if (!category)
		category = "unknown";
	if (!strcmp(category, "usb")) {
		act(s, "Use another Apple USB cable and a USB port directly on the computer (no hub); try another computer.");
		act(s, "Retry the restore in DFU mode.");
	} else if (!strcmp(category, "network")) {
		act(s, "Check the computer's network: proxy, firewall, VPN and the hosts file must let it reach Apple's servers.");
		act(s, "Check the date and time, then retry with the latest iOS.");
	} else if (!strcmp(category, "baseband")) {
		act(s, "The baseband (modem) update failed: retry once in DFU mode with the latest iOS.");
		act(s, "A repeated baseband failure points to the modem hardware or its power: logic-board service.");
	} else if (!strcmp(category, "sep")) {
		act(s, "The Secure Enclave firmware failed to load: restore a signed iOS whose SEP matches the target (with third-party tools, the latest signed SEP).");
		act(s, "If Apple's own software fails the same way, the device needs Apple service.");
	} else if (!strcmp(category, "storage")) {
		act(s, "Storage failed: retry once in DFU mode with the latest iOS.");
		act(s, "Repeated storage errors mean NAND or logic-board service.");
	} else if (!strcmp(category, "battery")) {
		act(s, "Charge the device for at least 30 minutes and retry; replace the battery if it persists.");
	} else if (!strcmp(category, "secure-element")) {
		act(s, "The secure element (NFC / Apple Pay chip) update failed: retry in DFU mode; if it repeats, Apple service.");
	} else if (!strcmp(category, "fdr")) {
		act(s, "Factory data (FDR) failed: check the computer's network and proxy, then retry; if it repeats, Apple service.");
	} else {
		act(s, "Update the restore software on the computer and retry in DFU mode.");
		act(s, "If the same code returns, look it up with err53-logscan --explain=CODE and contact Apple Support.");
	}
}

static const struct e53_evidence *first_of(const struct e53_session *s, enum e53_ev_class c)
{
	unsigned i;

	for (i = 0; i < s->nev; i++)
		if (s->ev[i].cls == c && !s->ev[i].previous)
			return &s->ev[i];
	return NULL;
}

void e53_diagnose(struct e53_session *s)
{
	const struct e53_device *d = s->product_type[0]
		? e53_device_lookup(s->product_type, strlen(s->product_type)) : NULL;
	bool faceid = d && d->biometric && !strcmp(d->biometric, "face-id");
	bool is53, final53;
	const struct e53_evidence *e = NULL;
	const unsigned *cc = s->class_count;

	s->nactions = 0;
	s->confidence = NULL;
	s->why = NULL;
	/* "final": a result line says 53, not only the failed FDR step */
	final53 = s->has_code && s->code == 53 && s->final_code;
	is53 = s->outcome == E53_OUT_FAILURE && ((s->has_code && s->code == 53) || (!s->has_code && s->fdr_failed53));
	if (!is53) {
		s->verdict = E53_V_NOT_ERROR53;
		if (s->outcome == E53_OUT_FAILURE) {
			const struct e53_error_code *ec = s->has_code ? e53_error_lookup(s->code) : NULL;
			const char *cat = ec ? ec->category : NULL;
			unsigned i;

			if (!cat)
				for (i = s->nstages; i-- > 0 && !cat;)
					if (s->stages[i].outcome == E53_ST_FAILED)
						cat = e53_category_for_subsystem(s->stages[i].subsystem);
			category_actions(s, s->has_code ? s->code : 0, cat);
		} else if (s->outcome == E53_OUT_INCOMPLETE) {
			act(s, "The log ends before the restore finished: collect the complete log (the whole "
			       "iPhone Updater log, idevicerestore's log file, or the tool's full output) and run the analysis again.");
		}
		return;
	}
	if (cc[E53_EC_FDR_SERVICE]) {
		s->verdict = E53_V_FDR_SERVICE;
		e = first_of(s, E53_EC_FDR_SERVICE);
		s->why = "The FDR step failed on the network or server side (the service refused or could not be reached); this is not a hardware fault.";
	} else if (cc[E53_EC_FACTORY_DATA]) {
		s->verdict = E53_V_FACTORY_DATA;
		e = first_of(s, E53_EC_FACTORY_DATA);
		s->why = "The device's sealed factory data is absent or unreadable; the sensor is not what failed.";
	} else if (faceid) {
		s->verdict = E53_V_UNDETERMINED;
		s->why = "Face ID device: a 53 here is never a Touch ID pairing or cable problem, and the log shows no FDR network or factory-data line.";
	} else if (cc[E53_EC_BIOMETRIC]) {
		s->verdict = E53_V_BIOMETRIC;
		e = first_of(s, E53_EC_BIOMETRIC);
		s->why = cc[E53_EC_SENSOR_UP]
			? "The Touch ID sensor answered, then the Secure Enclave rejected it during FDR recovery: a non-original or re-paired Home button / sensor."
			: "The Secure Enclave rejected the Touch ID sensor during FDR recovery: a non-original or re-paired Home button / sensor.";
	} else if (cc[E53_EC_CABLE]) {
		s->verdict = E53_V_CABLE;
		e = first_of(s, E53_EC_CABLE);
		s->why = "The Touch ID sensor was not reachable (missing or silent), which points to the Home button flex cable or connector.";
	} else if (cc[E53_EC_SENSOR_RESET] >= 2 && !cc[E53_EC_SENSOR_UP]) {
		s->verdict = E53_V_CABLE;
		e = first_of(s, E53_EC_SENSOR_RESET);
		s->why = "The Touch ID sensor never answered (repeated resets, no session), which points to the Home button flex cable or connector.";
	} else if (s->sensor_enumerated == 0) {
		s->verdict = E53_V_CABLE;
		e = first_of(s, E53_EC_IOREG);
		s->why = "The device tree lists the Touch ID sensor but no biometric driver enumerated it: the sensor is missing or silent.";
	} else {
		s->verdict = E53_V_UNDETERMINED;
		s->why = "The log shows Error 53 but no line that tells a sensor, cable, network or factory-data cause apart.";
	}
	if (s->verdict != E53_V_UNDETERMINED) {
		if (e && e->in_fdr && final53 && (e->cls != E53_EC_SENSOR_RESET && e->cls != E53_EC_IOREG))
			s->confidence = "high";
		else if (e && e->cls != E53_EC_SENSOR_RESET && e->cls != E53_EC_IOREG)
			s->confidence = "medium";
		else if (e && e->cls == E53_EC_SENSOR_RESET && final53)
			s->confidence = "medium";
		else
			s->confidence = "low";
	} else {
		s->confidence = "low";
	}

	switch (s->verdict) {
	case E53_V_BIOMETRIC:
		act(s, "Verify the repair history: was the Home button, Touch ID sensor or screen replaced by a third party?");
		act_dfu(s, d, true);
		act(s, "Only Apple or an Apple Authorized Service Provider can pair a genuine replacement sensor and restore Touch ID.");
		act(s, "The phone can be used without Touch ID: passcode for unlock, purchases and passwords.");
		act_apple(s);
		act_coverage(s);
		if (old_model(d))
			act(s, "On a device this old, where the repair costs near its value, consider an upgrade.");
		break;
	case E53_V_CABLE:
		act(s, "Reseat or replace the Home button / Touch ID flex cable first (Apple, or the shop that opened the phone), then restore again.");
		act(s, "Verify the repair history: was the Home button, sensor or screen replaced or reopened?");
		act_dfu(s, d, true);
		act_apple(s);
		act_coverage(s);
		break;
	case E53_V_FDR_SERVICE:
		act(s, "This is not a hardware fault: do not replace parts.");
		if (s->family == E53_FAM_FUTURERESTORE)
			act(s, "With futurerestore, the FDR request goes through the computer: use a direct connection (no proxy or VPN) and a current futurerestore build, then retry.");
		act(s, "Check the computer's network: FDR needs direct HTTPS to Apple's servers (no proxy, VPN or TLS-inspecting firewall), and a correct date and time.");
		act(s, "Retry with Apple's own software (Finder, iTunes or Apple Devices), or later if Apple's service is failing.");
		act(s, "If it keeps failing from a clean network, contact Apple Support with this report.");
		break;
	case E53_V_FACTORY_DATA:
		act(s, "Logic-board level: the sealed factory data (FDR) is missing or unreadable; parts such as the Home button are not the cause.");
		act_apple(s);
		act_coverage(s);
		break;
	case E53_V_UNDETERMINED:
		if (faceid) {
			act(s, "This device has Face ID: a 53 is not a Touch ID problem here. Check the computer's network and proxy (FDR reaches Apple's servers) and retry.");
		} else if (s->family == E53_FAM_FUTURERESTORE) {
			act(s, "With futurerestore, a 53 is most often the FDR server refusing or not reached through the computer's network or proxy: retry on a direct connection before suspecting parts.");
		} else {
			act(s, "Verify the repair history: was the Home button, Touch ID sensor or screen replaced by a third party?");
		}
		if (s->device_log)
			act(s, "The device's own restore log is here but names no cause: a sysdiagnose taken after the failure (its ioreg dumps show whether the Touch ID sensor enumerates) or Apple's diagnostics can settle it.");
		else
			act(s, "To settle the cause, get the device's own restore log: idevicerestore prints it after 'Log is available:' (or use its -d log file); iTunes and Finder logs contain it after '==== device restore output ===='; a sysdiagnose taken after a failed update holds an OTAUpdate report.");
		act_dfu(s, d, !faceid);
		act_apple(s);
		act_coverage(s);
		break;
	default:
		break;
	}
}

e53_status e53_explain(const char *arg, struct e53_buf *out)
{
	long code;
	char *end;
	const struct e53_error_code *ec;
	struct e53_session *s;
	unsigned i;

	code = strtol(arg, &end, 10);
	if (end == arg || *end)
		return E53_EINVAL;
	/* -1 is GenericError itself; other negatives are tools printing -code */
	if (code < -1)
		code = -code;
	ec = e53_error_lookup(code);
	s = calloc(1, sizeof *s);
	if (!s)
		return E53_ENOMEM;
	if (ec) {
		e53_buf_addf(out, "Error %ld: %s (category: %s)\n", code,
			     ec->apple_name ? ec->apple_name : "no Apple name known", ec->category);
		if (ec->meaning)
			e53_buf_addf(out, "Meaning: %s\n", ec->meaning);
	} else {
		e53_buf_addf(out, "Error %ld: not in the table of Apple restore errors (category: unknown)\n", code);
	}
	if (code == 53) {
		e53_buf_adds(out, "Error 53 is FDRFailure: the factory data check failed during the restore. "
				  "The cause can be a non-original Touch ID sensor (biometric-mismatch), its cable "
				  "(cable-fault), Apple's FDR service or the network (fdr-service), or missing factory "
				  "data (factory-data-missing); the device's restore log tells them apart. Run "
				  "err53-logscan on the log.\n");
		s->outcome = E53_OUT_FAILURE;
		s->has_code = true;
		s->code = 53;
		e53_diagnose(s);
	} else {
		category_actions(s, code, ec ? ec->category : NULL);
	}
	e53_buf_adds(out, "Next steps:\n");
	for (i = 0; i < s->nactions; i++)
		e53_buf_addf(out, "  %u. %s\n", i + 1, s->actions[i]);
	free(s);
	return E53_OK;
}
