// SPDX-License-Identifier: Apache-2.0
/*
 * Per-drive state machine over NVMe-MI or the SMBus basic management
 * command. Each drive's next step is its own sd-event time source; its
 * transaction runs in an I/O worker (iowork.h), one at a time per drive,
 * and its reply comes back as an event. The steps and when they run are
 * poll.h's pure transitions; here they are carried out: transactions,
 * decoding, what is published. Each event that changes published state
 * ends with one call of the changed hook with everything it changed.
 *
 * A drive is polled only in its PowerState (power.h); outside it the
 * sensor is unavailable and NaN, and its alarms are cleared.
 *
 * Any failure closes the endpoint (libnvme 1.3 leaks the MCTP tag on a
 * timeout and would read a late reply as the answer to the next command)
 * and starts again from the open. What is published meanwhile is the
 * availability policy's (avail.h), the same for both transports: the last
 * good reading stays through d->poll.window consecutive failures (a
 * failure: no answer, a short block, a bad reply, CTemp 80h/81h), and a
 * staleness timer drops it once it is older than the window even if no
 * poll completes; then NaN, unavailable and non-functional, and the retry
 * interval grows as poll.h says. A drive that says Not Ready or not
 * Functional is non-functional with NaN at once (it answered: not a
 * failure).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avail.h"
#include "basic.h"
#include "decode.h"
#include "drive.h"
#include "emconfig.h"
#include "fmt.h"
#include "iowork.h"
#include "log.h"
#include "manager.h"
#include "mi.h"
#include "names.h"
#include "pnvme.h"

/* Drive timers fire within this of their time: small against any poll
 * interval (sd-event's default accuracy, 250 ms, made a 1 s period drift
 * to 1.22 s). */
#define NVMED_TIMER_ACCURACY_USEC 1000

static void mark(struct drive *d, enum drive_prop p)
{
	d->dirty |= DRIVE_BIT(p);
}

/* The end of a step: hand what it changed to the modules above. */
static void flush(struct drive *d)
{
	uint64_t mask = d->dirty;

	d->dirty = 0;
	if (mask && d->m->hooks.changed)
		d->m->hooks.changed(d, mask);
}

static int set_string(char **field, const char *value)
{
	char *s;

	if (*field && strcmp(*field, value) == 0)
		return 0;
	s = strdup(value);
	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 1;
}

static void update_string(struct drive *d, char **field, const char *value,
			  enum drive_prop p)
{
	if (set_string(field, value) > 0)
		mark(d, p);
}

static void set_bool(struct drive *d, int *field, bool value, enum drive_prop p)
{
	if (*field == (int)value)
		return;
	*field = value;
	mark(d, p);
}

static uint64_t now_usec(struct manager *m)
{
	uint64_t t = 0;

	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &t);
	return t;
}

static int drive_step_cb(sd_event_source *s, uint64_t usec, void *userdata);

static void schedule(struct drive *d, uint64_t usec)
{
	int r;

	if (!d->timer) {
		r = sd_event_add_time(d->m->event, &d->timer, CLOCK_MONOTONIC,
				      usec, NVMED_TIMER_ACCURACY_USEC,
				      drive_step_cb, d);
		/* Below the bus and the configuration sources: a D-Bus call
		 * waits for at most the transaction in progress, never for a
		 * queue of elapsed drive timers. */
		if (r >= 0)
			r = sd_event_source_set_priority(
				d->timer, SD_EVENT_PRIORITY_NORMAL + 10);
		if (r < 0) {
			log_error_errno(r, "Drive '%s': cannot add timer",
					d->name);
			d->timer = sd_event_source_disable_unref(d->timer);
			return;
		}
	} else {
		r = sd_event_source_set_time(d->timer, usec);
		if (r >= 0)
			r = sd_event_source_set_enabled(d->timer,
							SD_EVENT_ONESHOT);
		if (r < 0)
			log_error_errno(r, "Drive '%s': cannot rearm timer",
					d->name);
	}
}

static void unschedule(struct drive *d)
{
	if (d->timer)
		(void)sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
}

/* ---- thresholds ------------------------------------------------------ */

static void announce_alarms(struct drive *d, unsigned changed, double value)
{
	for (int k = 0; k < _THRESHOLD_MAX; k++) {
		if (!(changed & (1u << k)))
			continue;
		mark(d, DRIVE_ALARM + k);
		log_info("Drive '%s': %s alarm %s at %.0f C", d->name,
			 threshold_kind_name(k),
			 d->th.t[k].alarm ? "asserted" : "deasserted", value);
	}
}

static void evaluate_alarms(struct drive *d)
{
	announce_alarms(d, threshold_update(&d->th, d->value), d->value);
}

static void set_value(struct drive *d, double value)
{
	if (!(isnan(value) && isnan(d->value)) && value != d->value) {
		d->value = value;
		mark(d, DRIVE_VALUE);
	}
	evaluate_alarms(d);
}

static void set_threshold(struct drive *d, enum threshold_kind k, double value,
			  double hysteresis)
{
	struct threshold *t = &d->th.t[k];

	t->hysteresis = hysteresis;
	if ((isnan(value) && isnan(t->value)) || value == t->value)
		return;
	t->value = value;
	mark(d, DRIVE_THRESHOLD + k);
}

/*
 * Without record thresholds: WarningHigh/CriticalHigh from the drive's
 * last Identify (WCTEMP/CCTEMP), unless set over D-Bus; published once
 * the drive gave one. dbus-sensors publishes a threshold level only when
 * its record has one (src/sensor.hpp, fc2953c): nothing is published for
 * a threshold that nobody gave.
 */
static void thresholds_from_identify(struct drive *d)
{
	static const enum threshold_kind kinds[] = {
		THRESHOLD_WARNING_HIGH,
		THRESHOLD_CRITICAL_HIGH,
	};

	if (d->config_thresholds)
		return;
	if (!d->th_user[THRESHOLD_WARNING_HIGH])
		set_threshold(d, THRESHOLD_WARNING_HIGH, d->id_warning,
			      THRESHOLD_DEFAULT_HYSTERESIS);
	if (!d->th_user[THRESHOLD_CRITICAL_HIGH])
		set_threshold(d, THRESHOLD_CRITICAL_HIGH, d->id_critical,
			      THRESHOLD_DEFAULT_HYSTERESIS);
	d->th_present = 0;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (d->th_user[kinds[i]] || !isnan(d->th.t[kinds[i]].value))
			d->th_present |= 1u << kinds[i];
}

int drive_set_user_threshold(struct drive *d, enum threshold_kind k, double v)
{
	/* not published, so not settable (sd-bus answers UnknownProperty
	 * before this is reached) */
	if (!(d->th_present & (1u << k)))
		return -ENOENT;
	if (!isnan(v) && (!isfinite(v) || v < NVMED_THRESHOLD_VALUE_MIN ||
			  v > NVMED_THRESHOLD_VALUE_MAX))
		return -ERANGE;
	/* entity-manager would store NaN as JSON null, and the record would
	 * fail validation at the next boot */
	if (isnan(v) && d->record && d->th_index[k] >= 0)
		return -EROFS;
	d->th.t[k].value = v;
	if (d->th.t[k].hysteresis == 0 && !d->config_thresholds)
		d->th.t[k].hysteresis = THRESHOLD_DEFAULT_HYSTERESIS;
	d->th_user[k] = true;
	/* sd-bus does not announce a Set it dispatched */
	mark(d, DRIVE_THRESHOLD + k);
	evaluate_alarms(d);
	flush(d);
	if (d->m->hooks.threshold_set)
		d->m->hooks.threshold_set(d, k);
	return 0;
}

void drive_update_thresholds(struct drive *d, struct emc_record *record,
			     bool found, const struct threshold_set *th,
			     const int index[_THRESHOLD_MAX])
{
	d->config_thresholds = found;
	for (int k = 0; k < _THRESHOLD_MAX; k++) {
		d->th_index[k] = found ? index[k] : -1;
		if (!found && (k == THRESHOLD_WARNING_HIGH ||
			       k == THRESHOLD_CRITICAL_HIGH))
			continue; /* the drive's, below */
		/* the record's, or none: a value set over D-Bus for a
		 * threshold the record does not have goes with it */
		d->th_user[k] = false;
		set_threshold(d, k, th->t[k].value, th->t[k].hysteresis);
	}
	if (found)
		d->th_present = threshold_given(th);
	thresholds_from_identify(d);
	emc_record_unref(d->record);
	d->record = emc_record_ref(record);
	evaluate_alarms(d);
	flush(d);
}

/* ---- what is published ----------------------------------------------- */

static void set_available(struct drive *d, bool available)
{
	set_bool(d, &d->available, available, DRIVE_AVAILABLE);
}

static void set_functional(struct drive *d, bool sensor, bool drive)
{
	set_bool(d, &d->sensor_functional, sensor, DRIVE_SENSOR_FUNCTIONAL);
	set_bool(d, &d->drive_functional, drive, DRIVE_FUNCTIONAL);
}

static void set_present(struct drive *d, bool present)
{
	set_bool(d, &d->present, present, DRIVE_PRESENT);
}

static void set_life_left(struct drive *d, uint8_t left)
{
	if (d->life_left == left)
		return;
	d->life_left = left;
	mark(d, DRIVE_LIFE_LEFT);
}

static int stale_cb(sd_event_source *s, uint64_t usec, void *userdata);

/* The longest one poll's transaction may take: libnvme-mi's timeout with
 * the More Processing Required wait, or an I2C adapter's timeout (Linux
 * i2c-core: one second unless the adapter driver sets its own). */
#define NVMED_I2C_ADAPTER_TIMEOUT_MS 1000
static uint64_t transaction_deadline_usec(const struct drive *d)
{
	if (d->basic)
		return NVMED_I2C_ADAPTER_TIMEOUT_MS * 1000ull;
	return mi_transaction_limit_ms(d->m->mi) * 1000ull;
}

/* A good reading was published at now: it may stand until the window's
 * expiry, and the staleness timer takes it away then if nothing newer
 * came. */
static void reading_good(struct drive *d, uint64_t now)
{
	uint64_t expiry;
	int r;

	d->last_good_usec = now;
	d->answered_usec = now;
	expiry = avail_expiry(d->poll.window, d->poll.period_usec,
			      transaction_deadline_usec(d), now);
	if (!d->stale_timer) {
		r = sd_event_add_time(d->m->event, &d->stale_timer,
				      CLOCK_MONOTONIC, expiry, 0, stale_cb, d);
		if (r < 0) {
			log_error_errno(r, "Drive '%s': cannot add timer",
					d->name);
			return;
		}
	} else {
		r = sd_event_source_set_time(d->stale_timer, expiry);
		if (r >= 0)
			r = sd_event_source_set_enabled(d->stale_timer,
							SD_EVENT_ONESHOT);
		if (r < 0)
			log_error_errno(r, "Drive '%s': cannot rearm timer",
					d->name);
	}
}

/* No good reading stands any more (published as unknown, or none). */
static void reading_gone(struct drive *d)
{
	d->last_good_usec = 0;
	if (d->stale_timer)
		(void)sd_event_source_set_enabled(d->stale_timer, SD_EVENT_OFF);
}

/* The health/SMART-derived inventory: back to "unknown" (255, "", no
 * fault), as before the first reading. */
static void publish_status_unknown(struct drive *d)
{
	set_life_left(d, 255);
	update_string(d, &d->smart_warnings, "", DRIVE_SMART_WARNINGS);
	update_string(d, &d->status_flags, "", DRIVE_STATUS_FLAGS);
	update_string(d, &d->drive_life_used, "", DRIVE_LIFE_USED);
	for (int f = 0; f < _FAULT_MAX; f++)
		set_bool(d, &d->faults[f], false, DRIVE_FAULT + f);
}

/* Everything a reading said is no longer known. */
static void publish_unknown(struct drive *d, bool functional)
{
	reading_gone(d);
	publish_status_unknown(d);
	set_value(d, NAN);
	set_available(d, false);
	set_functional(d, functional && d->sensor_functional,
		       functional && d->drive_functional);
}

/* A poll failed: the last good reading stands while the policy allows. */
static void publish_after_failure(struct drive *d)
{
	if (!avail_keep(d->poll.failures, d->poll.window, d->poll.period_usec,
			transaction_deadline_usec(d), d->last_good_usec,
			now_usec(d->m)))
		publish_unknown(d, false);
}

static int stale_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct drive *d = userdata;

	if (d->last_good_usec == 0)
		return 0;
	log_warning("Drive '%s': no reading for %" PRIu64 " ms (%u polls); "
		    "marking it unavailable and non-functional",
		    d->name, (usec - d->last_good_usec) / 1000, d->poll.window);
	publish_unknown(d, false);
	flush(d);
	return 0;
}

static void publish_vendor(struct drive *d, uint16_t vid)
{
	const char *vendor = nvmed_vendor_name(vid);
	char vidbuf[16];

	if (!vendor) {
		snprintf(vidbuf, sizeof(vidbuf), "0x%04x", vid);
		vendor = vidbuf;
	}
	update_string(d, &d->manufacturer, vendor, DRIVE_MANUFACTURER);
}

static void publish_identity(struct drive *d, const struct nvmed_identity *id)
{
	update_string(d, &d->serial, id->serial, DRIVE_SERIAL);
	update_string(d, &d->model, id->model, DRIVE_MODEL);
	publish_vendor(d, id->vid);
	update_string(d, &d->firmware, id->firmware, DRIVE_FIRMWARE);
	if (d->capacity != id->capacity) {
		d->capacity = id->capacity;
		mark(d, DRIVE_CAPACITY);
	}
	d->id_warning = id->warning_temp;
	d->id_critical = id->critical_temp;
	thresholds_from_identify(d);
	set_present(d, true);
}

static void publish_health(struct drive *d, const struct nvmed_health *h)
{
	char buf[8];

	/* phosphor-nvme's strings: lower-case hex of the raw bytes; its
	 * SmartWarnings is the inverted NVMe-MI byte ("ff": no warning). */
	snprintf(buf, sizeof(buf), "%02x", h->sw);
	update_string(d, &d->smart_warnings, buf, DRIVE_SMART_WARNINGS);
	snprintf(buf, sizeof(buf), "%02x", h->nss);
	update_string(d, &d->status_flags, buf, DRIVE_STATUS_FLAGS);
	snprintf(buf, sizeof(buf), "%02x", h->used);
	update_string(d, &d->drive_life_used, buf, DRIVE_LIFE_USED);
	for (int f = 0; f < _FAULT_MAX; f++)
		set_bool(d, &d->faults[f], h->crit_warning & (1u << f),
			 DRIVE_FAULT + f);

	set_life_left(d, nvmed_life_left(h->used));
	set_value(d, h->temperature);
	/* basic: a drive saying it is not ready has not given a reading */
	if (!d->basic || h->functional)
		set_available(d, h->temp_error == 0);
	set_functional(d, h->functional && h->temp_error != -EIO,
		       h->functional);
	set_present(d, true);
}

/* ---- carrying out poll.h's actions ------------------------------------ */

/* What the failure and its action mean for logs, publication and the
 * link; how names the link (for the log). */
static void failure_done(struct drive *d, const struct poll_action *a,
			 const char *what, const char *how, const char *why)
{
	if (d->poll.failures == 1 || a->window_reached)
		log_warning("Drive '%s' (%s): %s failed: %s%s", d->name, how,
			    what, why,
			    a->window_reached ? "; marking it unavailable and "
						"non-functional, backing off" :
						"");
	else
		log_debug("Drive '%s': %s failed (%s, failure %u)", d->name,
			  what, why, d->poll.failures);
	publish_after_failure(d);
}

static void good_done(struct drive *d, const struct poll_action *a,
		      uint64_t now)
{
	if (a->answers_again)
		log_info("Drive '%s' answers again", d->name);
	reading_good(d, now);
}

/* ---- NVMe-MI ---------------------------------------------------------- */

/* Withdraw the NVMe-MI transaction in progress, if any; the next one
 * reopens the endpoint. */
static void mi_cancel(struct drive *d)
{
	iowork_cancel(TAKE_PTR(d->mi_req));
	d->mi_fresh = true;
}

static int decode_subsys_info(struct drive *d, int r, const uint8_t *buf,
			      size_t len)
{
	if (r > 0) {
		/* Answered, but refused: decode as NVMe-MI 1.2. */
		log_info("Drive '%s': Read NVMe-MI Data Structure refused "
			 "(status 0x%x), assuming NVMe-MI 1.2",
			 d->name, (unsigned)r);
		d->mi_major = 1;
		d->mi_minor = 2;
		return 0;
	}
	if (r < 0)
		return r;
	r = nvmed_decode_subsys_info(buf, len, &d->mi_major, &d->mi_minor);
	if (r < 0)
		return r;
	log_debug("Drive '%s': NVMe-MI %u.%u", d->name, d->mi_major,
		  d->mi_minor);
	return 0;
}

static int decode_identify(struct drive *d, int r, const uint8_t *buf,
			   size_t len)
{
	struct nvmed_identity id;

	if (r != 0)
		return r;
	r = nvmed_decode_identify(buf, len, &id);
	if (r < 0)
		return r;
	publish_identity(d, &id);
	return 0;
}

static int decode_health(struct drive *d, int r, const uint8_t *buf, size_t len)
{
	struct nvmed_health h;

	if (r != 0)
		return r;
	r = nvmed_decode_health(buf, len, d->mi_major, d->mi_minor, &h);
	if (r < 0)
		return r;
	publish_health(d, &h);
	return 0;
}

static int decode_smart(struct drive *d, int r, const uint8_t *buf, size_t len)
{
	struct nvmed_smart s;

	if (r != 0)
		return r;
	r = nvmed_decode_smart(buf, len, &s);
	if (r < 0)
		return r;
	set_life_left(d, nvmed_life_left(s.used));
	log_debug("Drive '%s': SMART used %u%% spare %u%% warning 0x%02x",
		  d->name, s.used, s.avail_spare, s.crit_warning);
	return 0;
}

static const struct mi_step {
	const char *what;
	enum iowork_mi_op op;
	size_t len;
	int (*decode)(struct drive *d, int r, const uint8_t *buf, size_t len);
} mi_steps[] = {
	[STEP_SUBSYS_INFO] = { "Read NVMe-MI Data Structure",
			       IOWORK_MI_SUBSYS_INFO, NVMED_SUBSYS_INFO_LEN,
			       decode_subsys_info },
	[STEP_IDENTIFY] = { "Identify Controller", IOWORK_MI_IDENTIFY,
			    NVMED_IDENTIFY_LEN, decode_identify },
	[STEP_HEALTH] = { "Subsystem Health Status Poll", IOWORK_MI_HEALTH,
			  NVMED_HEALTH_LEN, decode_health },
	[STEP_SMART] = { "Get Log Page SMART", IOWORK_MI_SMART, NVMED_SMART_LEN,
			 decode_smart },
};

static bool is_mi_step(enum drive_step step)
{
	return step >= STEP_SUBSYS_INFO && step <= STEP_SMART;
}

static void mi_failed(struct drive *d, const struct poll_action *a,
		      const char *what, int r)
{
	char how[48], why[64];

	d->mi_fresh = true; /* reopen the endpoint (tag leaks) */
	snprintf(how, sizeof(how), "net %u EID %u", d->net, d->eid);
	if (r < 0)
		snprintf(why, sizeof(why), "%s", strerror(-r));
	else
		snprintf(why, sizeof(why), "NVMe-MI status 0x%x", (unsigned)r);
	if (r == -ETIME)
		/* Not back within the limit (its worker counts it from when
		 * it took the transaction): More Processing Required beyond
		 * the cap, or a drive that keeps asking for more. The worker
		 * is replaced if it stays stuck; poll.h backs off fully. */
		log_warning("Drive '%s': %s not answered within %u ms; backing "
			    "off",
			    d->name, what, mi_transaction_limit_ms(d->m->mi));
	failure_done(d, a, what, how, why);
}

static void mi_refusal_logged(struct drive *d, enum drive_step step, int r,
			      const struct poll_action *a)
{
	const char *what = mi_steps[step].what;

	if (a->refused)
		log_warning("Drive '%s': %s refused (status 0x%x)%s; asked "
			    "again every %u polls",
			    d->name, what, (unsigned)r,
			    step == STEP_IDENTIFY ? "; identity unknown" : "",
			    POLL_REFUSED_RETRY);
	else if (a->refused_over && step == STEP_IDENTIFY)
		log_info("Drive '%s': %s answered", d->name, what);
}

static void mi_done(int r, const uint8_t *buf, size_t len, void *userdata)
{
	struct drive *d = userdata;
	uint64_t now = now_usec(d->m);
	enum drive_step step = d->poll.step;
	struct poll_action a;

	d->mi_req = NULL;
	if (!is_mi_step(step))
		return;
	r = mi_steps[step].decode(d, r, buf, len);
	a = poll_mi_done(&d->poll, r, now);
	if (a.failed) {
		mi_failed(d, &a, mi_steps[step].what, r);
	} else {
		mi_refusal_logged(d, step, r, &a);
		if (step == STEP_HEALTH)
			good_done(d, &a, now);
	}
	schedule(d, a.at_usec);
	flush(d);
	/* last: it may hold the drive until mctpd has recovered the link */
	if (a.failing && d->m->hooks.failing)
		d->m->hooks.failing(d);
}

/*
 * One NVMe-MI transaction of the drive's current step, in its network's
 * I/O worker: the loop goes on serving D-Bus meanwhile, and mi_done()
 * takes the reply.
 */
static void mi_step(struct drive *d, uint64_t now, uint64_t due)
{
	const struct mi_step *s = &mi_steps[d->poll.step];
	int r;

	poll_sent(&d->poll, now, due);
	r = iowork_mi(d->m->iowork, d->net, d->eid, s->op, s->len, d->mi_fresh,
		      mi_transaction_limit_ms(d->m->mi), mi_done, d,
		      &d->mi_req);
	if (r < 0) {
		mi_done(r, NULL, 0, d);
		return;
	}
	d->mi_fresh = false;
}

/* ---- SMBus basic management command ----------------------------------- */

/* Withdraw the transfer in progress, if any (its answer is dropped). */
static void basic_close(struct drive *d)
{
	iowork_cancel(TAKE_PTR(d->basic_req));
}

static void basic_failed(struct drive *d, const struct poll_action *a,
			 const char *what, int r, bool io)
{
	char how[64];

	if (io)
		basic_close(d);
	snprintf(how, sizeof(how), "I2C bus %u address 0x%02x", d->i2c_bus,
		 d->i2c_addr);
	failure_done(d, a, what, how, strerror(r < 0 ? -r : EIO));
}

static void publish_basic_identity(struct drive *d, uint16_t vid,
				   const char *serial)
{
	update_string(d, &d->serial, serial, DRIVE_SERIAL);
	publish_vendor(d, vid);
	set_present(d, true);
}

/* Decode a basic command's block; returns 0, or -errno and what failed
 * (*io: the transfer or its framing, as opposed to a reading the drive
 * could not give). */
static int basic_decode(struct drive *d, int r, const uint8_t *buf, size_t n,
			const char **what, bool *io)
{
	struct nvmed_health h;
	char serial[21];
	uint16_t vid;

	*io = true;
	if (d->poll.step == STEP_BASIC_VPD) {
		*what = "basic command 8 (vendor, serial)";
		if (r == 0)
			r = nvmed_decode_basic_vpd(buf, n, &vid, serial);
		if (r == 0)
			publish_basic_identity(d, vid, serial);
		return r;
	}
	*what = "basic command 0 (health)";
	if (r == 0)
		r = nvmed_decode_basic_status(buf, n, &h);
	if (r < 0)
		return r;
	if (h.temp_error) {
		*what = "temperature reading";
		*io = false;
		return h.temp_error;
	}
	publish_health(d, &h);
	return 0;
}

static void basic_done(int r, const uint8_t *buf, size_t n, void *userdata)
{
	struct drive *d = userdata;
	uint64_t now = now_usec(d->m);
	bool status = d->poll.step == STEP_BASIC_STATUS, io;
	struct poll_action a;
	const char *what;

	d->basic_req = NULL;
	r = basic_decode(d, r, buf, n, &what, &io);
	a = poll_basic_done(&d->poll, r, io, now);
	if (a.failed)
		basic_failed(d, &a, what, r, io);
	else if (status)
		good_done(d, &a, now);
	schedule(d, a.at_usec);
	flush(d);
}

/*
 * One basic management command transfer, in the root bus's I/O worker:
 * the loop goes on serving D-Bus while it runs, and basic_done() takes
 * the answer (or the timeout, at the drive's transaction timeout even if
 * the transfer is still stuck in the kernel).
 */
static void basic_step(struct drive *d, uint64_t now, uint64_t due)
{
	uint8_t cmd = d->poll.step == STEP_BASIC_VPD ? 8 : 0;
	int r;

	poll_sent(&d->poll, now, due);
	r = iowork_smbus_block_read(d->m->iowork, d->root_bus, d->i2c_bus,
				    d->i2c_addr, d->pec, cmd, d->m->timeout_ms,
				    basic_done, d, &d->basic_req);
	if (r < 0)
		basic_done(r, NULL, 0, d);
}

static int drive_step_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct drive *d = userdata;
	uint64_t now = now_usec(d->m);

	if (!d->powered)
		return 0;
	if (d->basic) {
		if (!d->basic_req)
			basic_step(d, now, usec);
	} else if (d->have_endpoint && !d->mi_req && is_mi_step(d->poll.step)) {
		mi_step(d, now, usec);
	}
	return 0;
}

/* ---- what the modules above tell a drive ------------------------------ */

int drive_set_endpoint(struct drive *d, uint32_t net, uint8_t eid)
{
	if (d->have_endpoint && d->net == net && d->eid == eid)
		return 0;
	mi_cancel(d);
	d->have_endpoint = true;
	d->net = net;
	d->eid = eid;
	poll_restart(&d->poll, STEP_SUBSYS_INFO, true);
	log_info("Drive '%s': polling MCTP net %u EID %u", d->name, net, eid);
	schedule(d, now_usec(d->m));
	return 0;
}

static unsigned drive_window(const struct manager *m, unsigned window)
{
	return window ? window : m->window ? m->window : AVAIL_DEFAULT_WINDOW;
}

void drive_set_poll(struct drive *d, uint64_t poll_ms, unsigned window)
{
	uint64_t period, now, usec = 0;
	int enabled = SD_EVENT_OFF;

	d->poll_ms = poll_ms ? poll_ms : d->m->poll_ms;
	d->poll.window = drive_window(d->m, window);
	period = d->poll_ms * 1000;
	log_info("Drive '%s': polled every %" PRIu64 " ms, unavailable after "
		 "%u failures",
		 d->name, d->poll_ms, d->poll.window);
	if (period == d->poll.period_usec)
		return;
	d->poll.period_usec = period;
	now = now_usec(d->m);
	if (d->poll.next_due_usec > now + period)
		d->poll.next_due_usec = now + period;
	/* a longer interval takes effect from the poll already due */
	if (d->timer && sd_event_source_get_enabled(d->timer, &enabled) >= 0 &&
	    enabled != SD_EVENT_OFF &&
	    sd_event_source_get_time(d->timer, &usec) >= 0 &&
	    usec > now + period)
		schedule(d, now + period);
}

void drive_reidentify(struct drive *d)
{
	if (!d->have_endpoint || d->basic)
		return;
	mi_cancel(d);
	poll_restart(&d->poll, STEP_IDENTIFY, false);
	schedule(d, now_usec(d->m));
}

void drive_start_basic(struct drive *d, unsigned bus, uint8_t addr, bool pec)
{
	d->basic = true;
	d->i2c_bus = bus;
	d->i2c_addr = addr;
	d->pec = pec;
	d->root_bus = basic_root_bus(d->m->sysfs_root, bus);
	poll_restart(&d->poll, STEP_BASIC_VPD, true);
	if (d->root_bus != bus)
		log_info("Drive '%s': basic management command on I2C bus %u "
			 "(behind a mux on root bus %u), address 0x%02x%s",
			 d->name, bus, d->root_bus, addr, pec ? ", PEC" : "");
	else
		log_info("Drive '%s': basic management command on I2C bus %u, "
			 "address 0x%02x%s",
			 d->name, bus, addr, pec ? ", PEC" : "");
	schedule(d, now_usec(d->m));
}

static bool drive_powered(struct drive *d)
{
	if (!d->m->power)
		return d->power_state == POWER_ALWAYS;
	return power_reading_ok(d->power_state, power_status(d->m->power));
}

/* Outside the power state: dbus-sensors' NaN, unavailable, thresholds
 * de-asserted. */
static void power_off(struct drive *d)
{
	log_info("Drive '%s': outside power state %s; not polled", d->name,
		 power_state_to_string(d->power_state));
	mi_cancel(d);
	basic_close(d);
	unschedule(d);
	reading_gone(d);
	set_value(d, NAN);
	set_available(d, false);
	announce_alarms(d, threshold_clear(&d->th), NAN);
}

void drive_power_update(struct drive *d)
{
	bool ok = drive_powered(d);

	if (ok == d->powered)
		return;
	d->powered = ok;
	d->poll.failures = 0;
	if (!ok) {
		power_off(d);
		flush(d);
		return;
	}
	log_info("Drive '%s': power state %s reached; polling", d->name,
		 power_state_to_string(d->power_state));
	if (d->basic) {
		poll_restart(&d->poll, STEP_BASIC_VPD, true);
		schedule(d, now_usec(d->m));
	} else if (d->have_endpoint) {
		/* swapped while off? */
		poll_restart(&d->poll, STEP_SUBSYS_INFO, true);
		schedule(d, now_usec(d->m));
	}
	if (d->m->hooks.powered)
		d->m->hooks.powered(d);
}

void drive_link_hold(struct drive *d)
{
	mi_cancel(d);
	unschedule(d);
}

void drive_link_release(struct drive *d, bool now)
{
	uint64_t usec = 0;

	if (!d->have_endpoint || !d->powered)
		return;
	if (now) {
		poll_restart(&d->poll, poll_first_step(&d->poll), false);
		schedule(d, now_usec(d->m));
	} else if (d->timer && sd_event_source_get_time(d->timer, &usec) >= 0) {
		schedule(d, usec);
	}
}

void drive_clear_endpoint(struct drive *d)
{
	if (!d->have_endpoint)
		return;
	mi_cancel(d);
	d->have_endpoint = false;
	poll_restart(&d->poll, STEP_IDLE, false);
	unschedule(d);
	publish_unknown(d, false);
	set_present(d, false);
	flush(d);
}

/* ---- life cycle -------------------------------------------------------- */

static int make_path(const char *prefix, const char *name, char **ret)
{
	_cleanup_free_ char *escaped = emc_escape(name);

	if (!escaped)
		return -ENOMEM;
	*ret = fmt_alloc("%s%s", prefix, escaped);
	return *ret ? 0 : -ENOMEM;
}

/* Does a drive already have this object path? */
static bool path_taken(struct manager *m, size_t offset, const char *path)
{
	for (struct drive *o = m->drives; o; o = o->next)
		if (strcmp(*(char **)((char *)o + offset), path) == 0)
			return true;
	return false;
}

/* Names and paths: the sensor is the record's Name, the drive and its
 * controller are named after the drive (names.h) unless another drive has
 * that name already ("NVMe 1 Temp" beside a record named "NVMe 1"). */
static int drive_names(struct drive *d, const char *name)
{
	int r;

	d->drive_name = nvmed_drive_name(name);
	if (!d->drive_name)
		return -ENOMEM;
	r = make_path(NVMED_DRIVE_PREFIX, d->drive_name, &d->drive_path);
	if (r < 0)
		return r;
	if (path_taken(d->m, offsetof(struct drive, drive_path),
		       d->drive_path)) {
		free(d->drive_name);
		free(d->drive_path);
		d->drive_path = NULL;
		d->drive_name = strdup(name);
		if (!d->drive_name)
			return -ENOMEM;
		r = make_path(NVMED_DRIVE_PREFIX, name, &d->drive_path);
		if (r < 0)
			return r;
	}
	r = make_path(NVMED_SENSOR_PREFIX, name, &d->sensor_path);
	if (r >= 0)
		r = make_path(NVMED_CONTROLLER_PREFIX, d->drive_name,
			      &d->controller_path);
	if (r >= 0 && path_taken(d->m, offsetof(struct drive, sensor_path),
				 d->sensor_path))
		r = -EEXIST;
	return r;
}

static void drive_init_state(struct drive *d, const struct drive_config *cfg)
{
	struct manager *m = d->m;

	d->origin = cfg->origin;
	d->poll_ms = cfg->poll_ms ? cfg->poll_ms : m->poll_ms;
	poll_init(&d->poll, d->poll_ms * 1000, drive_window(m, cfg->window));
	d->value = NAN;
	d->id_warning = NAN;
	d->id_critical = NAN;
	d->life_left = 255;
	d->power_state = cfg->power_state;
	d->powered = true;
	d->i2c_bus = cfg->i2c_bus;
	d->i2c_addr = cfg->i2c_addr;
	d->record = emc_record_ref(cfg->record);
	for (int k = 0; k < _THRESHOLD_MAX; k++)
		d->th_index[k] = cfg->thresholds ? cfg->th_index[k] : -1;
	if (cfg->thresholds) {
		d->th = *cfg->thresholds;
		d->config_thresholds = true;
		d->th_present = threshold_given(cfg->thresholds);
	} else {
		threshold_set_init(&d->th);
		d->th_present = 0;
	}
}

static int drive_init_strings(struct drive *d, const struct drive_config *cfg)
{
	char **empty[] = { &d->serial,	       &d->model,
			   &d->firmware,       &d->manufacturer,
			   &d->smart_warnings, &d->status_flags,
			   &d->drive_life_used };

	d->name = strdup(cfg->name);
	d->config_path = strdup(cfg->config_path);
	d->board = cfg->board ? strdup(cfg->board) : NULL;
	if (!d->name || !d->config_path || (cfg->board && !d->board))
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(empty); i++)
		if (set_string(empty[i], "") < 0)
			return -ENOMEM;
	return drive_names(d, cfg->name);
}

int drive_new(struct manager *m, const struct drive_config *cfg,
	      struct drive **ret)
{
	struct drive *d;
	int r;

	assert(m && cfg && cfg->name && cfg->config_path);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->m = m;
	drive_init_state(d, cfg);
	r = drive_init_strings(d, cfg);
	if (r >= 0 && m->hooks.added)
		r = m->hooks.added(d, &d->surface);
	if (r < 0) {
		drive_free(d);
		return r;
	}
	d->next = m->drives;
	if (m->drives)
		m->drives->prev = d;
	m->drives = d;
	m->n_drives++;
	*ret = d;
	return 0;
}

/* Off the manager's list; false if it was not on it (drive_new failed). */
static bool drive_unlink(struct drive *d)
{
	struct manager *m = d->m;

	if (!d->prev && m->drives != d)
		return false;
	if (d->prev)
		d->prev->next = d->next;
	else
		m->drives = d->next;
	if (d->next)
		d->next->prev = d->prev;
	m->n_drives--;
	return true;
}

struct drive *drive_free(struct drive *d)
{
	if (!d)
		return NULL;
	if (drive_unlink(d) && d->m->hooks.removed)
		d->m->hooks.removed(d);
	mi_cancel(d);
	basic_close(d);
	emc_record_unref(d->record);
	sd_event_source_disable_unref(d->timer);
	sd_event_source_disable_unref(d->stale_timer);
	free(d->name);
	free(d->sensor_path);
	free(d->drive_path);
	free(d->drive_name);
	free(d->controller_path);
	free(d->config_path);
	free(d->board);
	free(d->serial);
	free(d->model);
	free(d->firmware);
	free(d->manufacturer);
	free(d->smart_warnings);
	free(d->status_flags);
	free(d->drive_life_used);
	free(d);
	return NULL;
}

struct drive *drive_find_by_endpoint(struct manager *m, uint32_t net,
				     uint8_t eid)
{
	for (struct drive *d = m->drives; d; d = d->next)
		if (d->have_endpoint && d->net == net && d->eid == eid)
			return d;
	return NULL;
}
