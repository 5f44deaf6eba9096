// SPDX-License-Identifier: Apache-2.0
/*
 * Per-drive state machine over NVMe-MI or the SMBus basic management
 * command: one transaction per event-loop turn, each drive's next step its
 * own sd-event time source. sd-event dispatches one source per iteration,
 * so transactions never overlap: drives on one root I2C bus (muxes
 * included) are serialised, as dbus-sensors' one thread per root bus does.
 *
 *   MCTP:  (open) -> SUBSYS_INFO -> IDENTIFY -> HEALTH <-> SMART (10th)
 *          (a reopen after a failure goes straight to HEALTH while the
 *          identity is known; IDENTIFY again every NVMED_IDENTIFY_EVERY
 *          polls, and from SUBSYS_INFO after a lost endpoint, a power-on
 *          or a window of failures)
 *   basic: (open) -> BASIC_VPD -> BASIC_STATUS (every poll; VPD again
 *          every NVMED_BASIC_VPD_EVERY polls and after a failure)
 *
 * A drive is polled only in its PowerState (power.h); outside it the
 * sensor is unavailable and NaN, and its alarms are cleared.
 *
 * Any failure closes the endpoint (libnvme 1.3 leaks the MCTP tag on a
 * timeout and would read a late reply as the answer to the next command)
 * and starts again from the open. What is published meanwhile is the
 * availability policy's (avail.h), the same for both transports: the last
 * good reading stays through d->window consecutive failures (a failure:
 * no answer, a short block, a bad reply, CTemp 80h/81h), and a staleness
 * timer drops it once it is older than the window even if no poll
 * completes; then NaN, unavailable and non-functional, and the retry
 * interval grows exponentially from the poll interval up to
 * NVMED_BACKOFF_MAX_MS. A drive that says Not Ready or not Functional is
 * non-functional with NaN at once (it answered: not a failure).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "avail.h"
#include "basic.h"
#include "evlog.h"
#include "iowork.h"
#include "emconfig.h"
#include "log.h"
#include "mi.h"
#include "names.h"
#include "nvmed.h"

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

static uint64_t now_usec(struct manager *m)
{
	uint64_t t = 0;

	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &t);
	return t;
}

static int drive_step_cb(sd_event_source *s, uint64_t usec, void *userdata);

/* Drive timers fire within this of their time: small against any poll
 * interval (sd-event's default accuracy, 250 ms, made a 1 s period drift
 * to 1.22 s). */
#define NVMED_TIMER_ACCURACY_USEC 1000

/*
 * Fixed-rate polling against the monotonic clock: the next poll is due one
 * interval after this one was due, not after it ran; a poll that ran more
 * than an interval late does not bunch the ones after it.
 */
static uint64_t next_poll(const struct drive *d, uint64_t now, uint64_t due)
{
	uint64_t period = d->poll_ms * 1000, next = due + period;

	return next > now ? next : now + period;
}

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

/* Re-read the basic VPD this often (a swapped drive has a new serial). */
#define NVMED_BASIC_VPD_EVERY 60

static void announce_alarms(struct drive *d, unsigned changed, double value)
{
	for (int k = 0; k < _THRESHOLD_MAX; k++) {
		if (!(changed & (1u << k)))
			continue;
		bus_emit(d, true, threshold_interface(k),
			 threshold_alarm_property(k), NULL);
		bus_threshold_asserted(d, k, d->th.t[k].alarm, value);
		log_info("Drive '%s': %s %s at %.0f C", d->name,
			 threshold_alarm_property(k),
			 d->th.t[k].alarm ? "asserted" : "deasserted", value);
	}
}

static void evaluate_alarms(struct drive *d, double value)
{
	announce_alarms(d, threshold_update(&d->th, value), value);
}

static void set_value(struct drive *d, double value)
{
	if (!(isnan(value) && isnan(d->value)) && value != d->value) {
		d->value = value;
		bus_emit(d, true, "xyz.openbmc_project.Sensor.Value", "Value",
			 NULL);
	}
	evaluate_alarms(d, value);
}

void drive_thresholds_changed(struct drive *d)
{
	evaluate_alarms(d, d->value);
}

void drive_set_threshold(struct drive *d, enum threshold_kind k, double value,
			 double hysteresis)
{
	struct threshold *t = &d->th.t[k];

	t->hysteresis = hysteresis;
	if ((isnan(value) && isnan(t->value)) || value == t->value)
		return;
	t->value = value;
	bus_emit(d, true, threshold_interface(k), threshold_value_property(k),
		 NULL);
}

void drive_thresholds_from_identify(struct drive *d)
{
	if (d->config_thresholds)
		return;
	if (!d->th_user[THRESHOLD_WARNING_HIGH])
		drive_set_threshold(d, THRESHOLD_WARNING_HIGH, d->id_warning,
				    THRESHOLD_DEFAULT_HYSTERESIS);
	if (!d->th_user[THRESHOLD_CRITICAL_HIGH])
		drive_set_threshold(d, THRESHOLD_CRITICAL_HIGH, d->id_critical,
				    THRESHOLD_DEFAULT_HYSTERESIS);
}

static void set_bool(struct drive *d, int *field, bool value, bool sensor,
		     const char *iface, const char *prop)
{
	if (*field == (int)value)
		return;
	*field = value;
	bus_emit(d, sensor, iface, prop, NULL);
}

static void set_available(struct drive *d, bool available)
{
	set_bool(d, &d->available, available, true,
		 "xyz.openbmc_project.State.Decorator.Availability",
		 "Available");
}

/*
 * Drive faults to phosphor-logging, once per fault (evlog.h), with what a
 * callout needs: the drive's inventory path (CALLOUT_INVENTORY_PATH) and
 * its I2C bus and address (CALLOUT_IIC_BUS, CALLOUT_IIC_ADDR, the keys
 * phosphor-logging's callouts read) or its MCTP network and EID. The
 * events are nvmed's own, in phosphor-dbus-interfaces' events.yaml style:
 * service_files/phosphor-dbus-interfaces/.../Nvme.events.yaml.
 */
static void log_fault(struct drive *d, const char *what, bool raised,
		      const char *message, const char *severity,
		      const char *restored, const char *k, const char *v)
{
	char key[512], bus[32], addr[16];
	const char *data[16];
	size_t n = 0;

	if (!d->m->evlog)
		return;
	snprintf(key, sizeof(key), "%s/%s", d->drive_path, what);
	data[n++] = "DRIVE_NAME";
	data[n++] = d->drive_path;
	data[n++] = "CALLOUT_INVENTORY_PATH";
	data[n++] = d->drive_path;
	if (d->basic || (!d->have_endpoint && d->i2c_bus)) {
		snprintf(bus, sizeof(bus), "/dev/i2c-%u", d->i2c_bus);
		snprintf(addr, sizeof(addr), "0x%02x", d->i2c_addr);
		data[n++] = "CALLOUT_IIC_BUS";
		data[n++] = bus;
		data[n++] = "CALLOUT_IIC_ADDR";
		data[n++] = addr;
	}
	if (d->have_endpoint) {
		snprintf(bus, sizeof(bus), "%u", d->net);
		snprintf(addr, sizeof(addr), "%u", d->eid);
		data[n++] = "MCTP_NETWORK";
		data[n++] = bus;
		data[n++] = "MCTP_EID";
		data[n++] = addr;
	}
	if (k) {
		data[n++] = k;
		data[n++] = v;
	}
	data[n] = NULL;
	if (raised)
		(void)evlog_raise(d->m->evlog, key, message, severity, data);
	else
		(void)evlog_clear(d->m->evlog, key, restored, data);
}

static void set_functional(struct drive *d, bool sensor, bool drive)
{
	if (d->drive_functional != (int)drive)
		log_fault(d, "functional", !drive,
			  "xyz.openbmc_project.Nvme.DriveFailed",
			  EVLOG_CRITICAL,
			  "xyz.openbmc_project.Nvme.DriveRestored", NULL, NULL);
	set_bool(d, &d->sensor_functional, sensor, true,
		 "xyz.openbmc_project.State.Decorator.OperationalStatus",
		 "Functional");
	set_bool(d, &d->drive_functional, drive, false,
		 "xyz.openbmc_project.State.Decorator.OperationalStatus",
		 "Functional");
}

static void set_present(struct drive *d, bool present)
{
	set_bool(d, &d->present, present, false,
		 "xyz.openbmc_project.Inventory.Item", "Present");
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

	if (d->failures >= d->window)
		log_info("Drive '%s' answers again", d->name);
	d->failures = 0;
	d->last_good_usec = now;
	expiry = avail_expiry(d->window, d->poll_ms * 1000,
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

static void set_life_left(struct drive *d, uint8_t left)
{
	if (d->life_left == left)
		return;
	d->life_left = left;
	bus_emit(d, false, "xyz.openbmc_project.Inventory.Item.Drive",
		 "PredictedMediaLifeLeftPercent", NULL);
}

/* The health/SMART-derived inventory: back to "unknown" (255, "", no
 * fault), as before the first reading. */
static void publish_status_unknown(struct drive *d)
{
	const char *status = "xyz.openbmc_project.Nvme.Status";
	static const char *const fault_props[_FAULT_MAX] = {
		"CapacityFault", "TemperatureFault",  "DegradesFault",
		"MediaFault",	 "BackupDeviceFault",
	};

	set_life_left(d, 255);
	if (set_string(&d->smart_warnings, "") > 0)
		bus_emit(d, false, status, "SmartWarnings", NULL);
	if (set_string(&d->status_flags, "") > 0)
		bus_emit(d, false, status, "StatusFlags", NULL);
	if (set_string(&d->drive_life_used, "") > 0)
		bus_emit(d, false, status, "DriveLifeUsed", NULL);
	for (int f = 0; f < _FAULT_MAX; f++)
		set_bool(d, &d->faults[f], false, false, status,
			 fault_props[f]);
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

/* After (re)opening: the identity and NVMe-MI version are known unless
 * the endpoint changed or the drive may have been swapped. */
static enum drive_step first_step(const struct drive *d)
{
	return d->identified ? STEP_HEALTH : STEP_SUBSYS_INFO;
}

static uint64_t backoff_ms(struct drive *d)
{
	unsigned shift;
	uint64_t ms;

	if (d->failures < d->window)
		return d->poll_ms;
	shift = d->failures - d->window + 1;
	ms = shift >= 16 ? NVMED_BACKOFF_MAX_MS : d->poll_ms << shift;
	return ms > NVMED_BACKOFF_MAX_MS ? NVMED_BACKOFF_MAX_MS : ms;
}

/* A poll failed: the last good reading stands while the policy allows. */
static void publish_after_failure(struct drive *d)
{
	if (!avail_keep(d->failures, d->window, d->poll_ms * 1000,
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
		    d->name, (usec - d->last_good_usec) / 1000, d->window);
	publish_unknown(d, false);
	return 0;
}

static void drive_fail(struct drive *d, const char *what, int r)
{
	uint64_t delay_ms = d->poll_ms;

	d->mi_fresh = true; /* reopen the endpoint (tag leaks) */
	d->failures++;
	if (d->failures == 1 || d->failures == d->window) {
		char why[64];

		if (r < 0)
			snprintf(why, sizeof(why), "%s", strerror(-r));
		else
			snprintf(why, sizeof(why), "NVMe-MI status 0x%x",
				 (unsigned)r);
		log_warning("Drive '%s' (net %u EID %u): %s failed: %s%s",
			    d->name, d->net, d->eid, what, why,
			    d->failures == d->window ?
				    "; marking it unavailable and "
				    "non-functional, backing off" :
				    "");
	} else
		log_debug("Drive '%s': %s failed (%d, failure %u)", d->name,
			  what, r, d->failures);

	publish_after_failure(d);
	delay_ms = backoff_ms(d);
	/* a drive silent this long may come back as another drive */
	if (d->failures >= d->window)
		d->identified = false;
	d->step = first_step(d);
	d->polls = 0; /* SMART right after the next health poll */
	schedule(d, now_usec(d->m) + delay_ms * 1000);
	/* last: it may hold the drive until mctpd has recovered the link */
	if (d->failures >= d->window)
		mctpd_endpoint_failing(d);
}

static void publish_identity(struct drive *d, const struct nvmed_identity *id)
{
	const char *asset = "xyz.openbmc_project.Inventory.Decorator.Asset";
	const char *vendor = nvmed_vendor_name(id->vid);
	char vidbuf[16];

	if (!vendor) {
		snprintf(vidbuf, sizeof(vidbuf), "0x%04x", id->vid);
		vendor = vidbuf;
	}
	if (set_string(&d->serial, id->serial) > 0)
		bus_emit(d, false, asset, "SerialNumber", NULL);
	if (set_string(&d->model, id->model) > 0)
		bus_emit(d, false, asset, "Model", NULL);
	if (set_string(&d->manufacturer, vendor) > 0)
		bus_emit(d, false, asset, "Manufacturer", NULL);
	if (set_string(&d->firmware, id->firmware) > 0)
		bus_emit(d, false,
			 "xyz.openbmc_project.Inventory.Decorator.Revision",
			 "Version", NULL);
	if (d->capacity != id->capacity) {
		d->capacity = id->capacity;
		bus_emit(d, false, "xyz.openbmc_project.Inventory.Item.Drive",
			 "Capacity", NULL);
	}

	d->id_warning = id->warning_temp;
	d->id_critical = id->critical_temp;
	drive_thresholds_from_identify(d);
	set_present(d, true);
}

static void publish_health(struct drive *d, const struct nvmed_health *h)
{
	const char *status = "xyz.openbmc_project.Nvme.Status";
	static const char *const fault_props[_FAULT_MAX] = {
		"CapacityFault", "TemperatureFault",  "DegradesFault",
		"MediaFault",	 "BackupDeviceFault",
	};
	char buf[8];

	/* phosphor-nvme's strings: lower-case hex of the raw bytes; its
	 * SmartWarnings is the inverted NVMe-MI byte ("ff": no warning). */
	snprintf(buf, sizeof(buf), "%02x", h->sw);
	if (set_string(&d->smart_warnings, buf) > 0)
		bus_emit(d, false, status, "SmartWarnings", NULL);
	snprintf(buf, sizeof(buf), "%02x", h->nss);
	if (set_string(&d->status_flags, buf) > 0)
		bus_emit(d, false, status, "StatusFlags", NULL);
	snprintf(buf, sizeof(buf), "%02x", h->used);
	if (set_string(&d->drive_life_used, buf) > 0)
		bus_emit(d, false, status, "DriveLifeUsed", NULL);
	for (int f = 0; f < _FAULT_MAX; f++)
		set_bool(d, &d->faults[f], h->crit_warning & (1u << f), false,
			 status, fault_props[f]);
	snprintf(buf, sizeof(buf), "0x%02x", h->crit_warning);
	log_fault(d, "critical_warning", h->crit_warning != 0,
		  "xyz.openbmc_project.Nvme.CriticalWarning", EVLOG_ERROR, NULL,
		  "CRITICAL_WARNING", buf);

	set_life_left(d, nvmed_life_left(h->used));
	set_value(d, h->temperature);
	/* basic: a drive saying it is not ready has not given a reading */
	if (!d->basic || h->functional)
		set_available(d, h->temp_error == 0);
	set_functional(d, h->functional && h->temp_error != -EIO,
		       h->functional);
	set_present(d, true);
}

static int step_subsys_info(struct drive *d, int r, const uint8_t *buf,
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

static int step_identify(struct drive *d, int r, const uint8_t *buf, size_t len)
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

static int step_health(struct drive *d, int r, const uint8_t *buf, size_t len)
{
	struct nvmed_health h;

	if (r != 0)
		return r;
	r = nvmed_decode_health(buf, len, d->mi_major, d->mi_minor, &h);
	if (r < 0)
		return r;
	publish_health(d, &h);
	reading_good(d, now_usec(d->m));
	return 0;
}

static int step_smart(struct drive *d, int r, const uint8_t *buf, size_t len)
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

/* Withdraw the NVMe-MI transaction in progress, if any; the next one
 * reopens the endpoint. */
static void mi_cancel(struct drive *d)
{
	iowork_cancel(TAKE_PTR(d->mi_req));
	d->mi_fresh = true;
}

/* Withdraw the transfer in progress, if any (its answer is dropped). */
static void basic_close(struct drive *d)
{
	iowork_cancel(TAKE_PTR(d->basic_req));
}

/* io: the transfer failed (reopen, re-read the VPD); else the drive
 * answered with something unusable. */
static void basic_fail(struct drive *d, const char *what, int r, bool io)
{
	if (io) {
		basic_close(d);
		d->step = STEP_BASIC_VPD;
	}
	d->failures++;
	if (d->failures == 1 || d->failures == d->window)
		log_warning("Drive '%s' (I2C bus %u address 0x%02x): %s "
			    "failed: %s%s",
			    d->name, d->i2c_bus, d->i2c_addr, what,
			    strerror(r < 0 ? -r : EIO),
			    d->failures == d->window ?
				    "; marking it unavailable and "
				    "non-functional, backing off" :
				    "");
	else
		log_debug("Drive '%s': %s failed (%d, failure %u)", d->name,
			  what, r, d->failures);
	publish_after_failure(d);
	schedule(d, now_usec(d->m) + backoff_ms(d) * 1000);
}

static void publish_basic_identity(struct drive *d, uint16_t vid,
				   const char *serial)
{
	const char *asset = "xyz.openbmc_project.Inventory.Decorator.Asset";
	const char *vendor = nvmed_vendor_name(vid);
	char vidbuf[16];

	if (!vendor) {
		snprintf(vidbuf, sizeof(vidbuf), "0x%04x", vid);
		vendor = vidbuf;
	}
	if (set_string(&d->serial, serial) > 0)
		bus_emit(d, false, asset, "SerialNumber", NULL);
	if (set_string(&d->manufacturer, vendor) > 0)
		bus_emit(d, false, asset, "Manufacturer", NULL);
	set_present(d, true);
}

static void basic_done(int r, const uint8_t *buf, size_t n, void *userdata);

/*
 * One basic management command transfer, in the root bus's I/O worker:
 * the loop goes on serving D-Bus while it runs, and basic_done() takes
 * the answer (or the timeout, at the drive's transaction timeout even if
 * the transfer is still stuck in the kernel).
 */
static void basic_step(struct drive *d, uint64_t now, uint64_t due)
{
	uint8_t cmd = d->step == STEP_BASIC_VPD ? 8 : 0;
	int r;

	if (d->basic_req)
		return;
	if (d->step != STEP_BASIC_VPD)
		d->next_poll_usec = next_poll(d, now, due);
	r = iowork_smbus_block_read(d->m->iowork, d->root_bus, d->i2c_bus,
				    d->i2c_addr, d->pec, cmd, d->m->timeout_ms,
				    basic_done, d, &d->basic_req);
	if (r < 0)
		basic_fail(d, "transfer", r, true);
}

static void basic_done(int r, const uint8_t *buf, size_t n, void *userdata)
{
	struct drive *d = userdata;
	uint64_t now = now_usec(d->m);
	struct nvmed_health h;
	char serial[21];
	uint16_t vid;

	d->basic_req = NULL;
	if (d->step == STEP_BASIC_VPD) {
		if (r == 0)
			r = nvmed_decode_basic_vpd(buf, n, &vid, serial);
		if (r < 0) {
			basic_fail(d, "basic command 8 (vendor, serial)", r,
				   true);
			return;
		}
		publish_basic_identity(d, vid, serial);
		d->step = STEP_BASIC_STATUS;
		d->polls = 0;
		schedule(d, now);
		return;
	}
	if (r == 0)
		r = nvmed_decode_basic_status(buf, n, &h);
	if (r < 0) {
		basic_fail(d, "basic command 0 (health)", r, true);
		return;
	}
	if (h.temp_error) {
		basic_fail(d, "temperature reading", h.temp_error, false);
		return;
	}
	publish_health(d, &h);
	reading_good(d, now);
	if (++d->polls % NVMED_BASIC_VPD_EVERY == 0)
		d->step = STEP_BASIC_VPD;
	schedule(d, d->next_poll_usec > now ? d->next_poll_usec : now);
}

/* Every NVMED_SMART_EVERY health polls, unless SMART was refused lately. */
static bool smart_due(struct drive *d)
{
	bool due = d->polls++ % NVMED_SMART_EVERY == 0;

	if (d->smart_skip) {
		d->smart_skip--;
		return false;
	}
	return due;
}

static void mi_done(int r, const uint8_t *buf, size_t len, void *userdata);

/*
 * One NVMe-MI transaction of the drive's current step, in its network's
 * I/O worker: the loop goes on serving D-Bus meanwhile, and mi_done()
 * takes the reply.
 */
static int drive_step_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
	static const struct {
		enum iowork_mi_op op;
		size_t len;
	} io[] = {
		[STEP_SUBSYS_INFO] = { IOWORK_MI_SUBSYS_INFO,
				       NVMED_SUBSYS_INFO_LEN },
		[STEP_IDENTIFY] = { IOWORK_MI_IDENTIFY, NVMED_IDENTIFY_LEN },
		[STEP_HEALTH] = { IOWORK_MI_HEALTH, NVMED_HEALTH_LEN },
		[STEP_SMART] = { IOWORK_MI_SMART, NVMED_SMART_LEN },
	};
	struct drive *d = userdata;
	uint64_t now = now_usec(d->m);
	int r;

	if (!d->powered)
		return 0;
	if (d->basic) {
		basic_step(d, now, usec);
		return 0;
	}
	if (!d->have_endpoint || d->mi_req)
		return 0;
	if (d->step < STEP_SUBSYS_INFO || d->step > STEP_SMART)
		return 0;
	if (d->step == STEP_HEALTH)
		d->next_poll_usec = next_poll(d, now, usec);
	r = iowork_mi(d->m->iowork, d->net, d->eid, io[d->step].op,
		      io[d->step].len, d->mi_fresh,
		      mi_transaction_limit_ms(d->m->mi), mi_done, d,
		      &d->mi_req);
	if (r < 0) {
		drive_fail(d, "transaction", r);
		return 0;
	}
	d->mi_fresh = false;
	return 0;
}

static void mi_done(int r, const uint8_t *buf, size_t len, void *userdata)
{
	struct drive *d = userdata;
	uint64_t now = now_usec(d->m);
	const char *what = "open";

	d->mi_req = NULL;
	switch (d->step) {
	case STEP_SUBSYS_INFO:
		what = "Read NVMe-MI Data Structure";
		r = step_subsys_info(d, r, buf, len);
		if (r == 0) {
			d->step = STEP_IDENTIFY;
			schedule(d, now);
		}
		break;
	case STEP_IDENTIFY:
		what = "Identify Controller";
		r = step_identify(d, r, buf, len);
		if (r > 0) {
			/* a valid reply refusing it: the drive answers, we
			 * just do not know who it is; ask again later */
			if (!d->identify_refused)
				log_warning("Drive '%s': Identify Controller "
					    "refused (status 0x%x); identity "
					    "unknown, asked again every %u "
					    "polls",
					    d->name, (unsigned)r,
					    NVMED_REFUSED_RETRY);
			d->identify_refused = true;
			d->identified = true;
			d->since_identify =
				NVMED_IDENTIFY_EVERY - NVMED_REFUSED_RETRY;
			d->step = STEP_HEALTH;
			d->polls = 0;
			schedule(d, now);
			r = 0;
		} else if (r == 0) {
			if (d->identify_refused)
				log_info("Drive '%s': Identify Controller "
					 "answered",
					 d->name);
			d->identify_refused = false;
			d->identified = true;
			d->since_identify = 0;
			d->step = STEP_HEALTH;
			d->polls = 0;
			schedule(d, now);
		}
		break;
	case STEP_HEALTH:
		what = "Subsystem Health Status Poll";
		r = step_health(d, r, buf, len);
		if (r == 0) {
			uint64_t next = d->next_poll_usec > now ?
						d->next_poll_usec :
						now;

			if (++d->since_identify >= NVMED_IDENTIFY_EVERY) {
				d->step = STEP_IDENTIFY;
				schedule(d, next);
			} else if (smart_due(d)) {
				d->step = STEP_SMART;
				schedule(d, now);
			} else {
				schedule(d, next);
			}
		}
		break;
	case STEP_SMART:
		what = "Get Log Page SMART";
		r = step_smart(d, r, buf, len);
		if (r > 0) {
			/* refused, not a lost drive: keep polling health */
			if (!d->smart_refused)
				log_warning("Drive '%s': Get Log Page SMART "
					    "refused (status 0x%x); asked "
					    "again every %u polls",
					    d->name, (unsigned)r,
					    NVMED_REFUSED_RETRY);
			d->smart_refused = true;
			d->smart_skip = NVMED_REFUSED_RETRY;
			r = 0;
		} else if (r == 0) {
			d->smart_refused = false;
		}
		if (r == 0) {
			d->step = STEP_HEALTH;
			schedule(d, d->next_poll_usec > now ?
					    d->next_poll_usec :
					    now);
		}
		break;
	default:
		return;
	}
	if (r == -ETIME) {
		/* Not back within the limit (its worker counts it from when
		 * it took the transaction): More Processing Required beyond
		 * the cap, or a drive that keeps asking for more. The worker
		 * is replaced if it stays stuck; count a failure and back off
		 * fully. */
		log_warning("Drive '%s': %s not answered within %u ms; backing "
			    "off",
			    d->name, what, mi_transaction_limit_ms(d->m->mi));
		if (d->failures < d->window + 16)
			d->failures = d->window + 15;
		drive_fail(d, what, -ETIME);
		return;
	}
	if (r != 0)
		drive_fail(d, what, r);
}

int drive_set_endpoint(struct drive *d, uint32_t net, uint8_t eid)
{
	struct drive *other = drive_find_by_endpoint(d->m, net, eid);

	if (other && other != d && other->origin == DRIVE_FROM_ENDPOINT &&
	    d->origin != DRIVE_FROM_ENDPOINT) {
		/* A configured drive wins over mctpd's view of the same
		 * device, whichever came first. */
		log_info("Drive '%s': endpoint net %u EID %u taken over from "
			 "drive '%s' (mctpd endpoint '%s')",
			 d->name, net, eid, other->name,
			 other->endpoint_path ? other->endpoint_path : "");
		drive_free(other);
		other = NULL;
	}
	if (other && other != d)
		return log_error_errno(-EADDRINUSE,
				       "Drive '%s': endpoint net %u EID %u is "
				       "already drive '%s'; ignored",
				       d->name, net, eid, other->name);
	if (d->have_endpoint && d->net == net && d->eid == eid)
		return 0;
	mi_cancel(d);
	d->have_endpoint = true;
	d->net = net;
	d->eid = eid;
	d->failures = 0;
	d->identified = false;
	d->step = STEP_SUBSYS_INFO;
	log_info("Drive '%s': polling MCTP net %u EID %u", d->name, net, eid);
	schedule(d, now_usec(d->m));
	return 0;
}

void drive_start_basic(struct drive *d, unsigned bus, uint8_t addr, bool pec)
{
	d->basic = true;
	d->i2c_bus = bus;
	d->i2c_addr = addr;
	d->pec = pec;
	d->root_bus = basic_root_bus(d->m->sysfs_root, bus);
	d->failures = 0;
	d->step = STEP_BASIC_VPD;
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

void drive_power_update(struct drive *d)
{
	bool ok = drive_powered(d);

	if (ok == d->powered)
		return;
	d->powered = ok;
	d->failures = 0;
	if (!ok) {
		log_info("Drive '%s': outside power state %s; not polled",
			 d->name, power_state_to_string(d->power_state));
		mi_cancel(d);
		basic_close(d);
		if (d->timer)
			(void)sd_event_source_set_enabled(d->timer,
							  SD_EVENT_OFF);
		/* dbus-sensors: NaN, unavailable, thresholds de-asserted */
		reading_gone(d);
		set_value(d, NAN);
		set_available(d, false);
		announce_alarms(d, threshold_clear(&d->th), NAN);
		return;
	}
	log_info("Drive '%s': power state %s reached; polling", d->name,
		 power_state_to_string(d->power_state));
	if (d->basic) {
		d->step = STEP_BASIC_VPD;
		schedule(d, now_usec(d->m));
	} else if (d->have_endpoint) {
		/* swapped while off? */
		d->identified = false;
		d->step = STEP_SUBSYS_INFO;
		schedule(d, now_usec(d->m));
	}
	/* A drive powered up again may have lost its EID: set it up again
	 * (idempotent for an endpoint mctpd still knows). */
	if (d->origin == DRIVE_FROM_RECORD && d->m->mctpd)
		(void)mctpd_setup_endpoint(d);
}

void drive_link_hold(struct drive *d)
{
	mi_cancel(d);
	if (d->timer)
		(void)sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
}

void drive_link_release(struct drive *d, bool now)
{
	uint64_t usec = 0;

	if (!d->have_endpoint || !d->powered)
		return;
	if (now) {
		d->step = first_step(d);
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
	d->identified = false;
	d->step = STEP_IDLE;
	if (d->timer)
		(void)sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
	publish_unknown(d, false);
	set_present(d, false);
}

static int make_path(const char *prefix, const char *name, char **ret)
{
	_cleanup_free_ char *escaped = emc_escape(name);
	char *p;

	if (!escaped)
		return -ENOMEM;
	if (asprintf(&p, "%s%s", prefix, escaped) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

/* Does a drive already have this drive name (escaped alike)? */
static bool drive_name_taken(struct manager *m, const char *drive_name)
{
	_cleanup_free_ char *want = emc_escape(drive_name);

	for (struct drive *o = m->drives; want && o; o = o->next)
		if (strcmp(o->drive_path + strlen(NVMED_DRIVE_PREFIX), want) ==
		    0)
			return true;
	return false;
}

int drive_new(struct manager *m, enum drive_origin origin, const char *name,
	      const char *config_path, const char *board, uint64_t poll_ms,
	      const struct threshold_set *thresholds, struct drive **ret)
{
	struct drive *d;
	int r;

	assert(m && name && config_path);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->m = m;
	d->origin = origin;
	d->poll_ms = poll_ms ? poll_ms : m->poll_ms;
	d->window = m->window ? m->window : AVAIL_DEFAULT_WINDOW;
	d->value = NAN;
	d->id_warning = NAN;
	d->id_critical = NAN;
	d->life_left = 255;
	d->step = STEP_IDLE;
	d->power_state = POWER_ALWAYS;
	d->powered = true;
	for (int k = 0; k < _THRESHOLD_MAX; k++)
		d->th_index[k] = -1;
	if (thresholds) {
		d->th = *thresholds;
		d->config_thresholds = true;
	} else {
		threshold_set_init(&d->th);
	}

	r = -ENOMEM;
	d->name = strdup(name);
	d->config_path = strdup(config_path);
	d->board = board ? strdup(board) : NULL;
	if (!d->name || !d->config_path || (board && !d->board))
		goto fail;
	d->drive_name = nvmed_drive_name(name);
	if (!d->drive_name)
		goto fail;
	if (drive_name_taken(m, d->drive_name)) {
		/* "NVMe 1 Temp" beside a record named "NVMe 1" */
		free(d->drive_name);
		d->drive_name = strdup(name);
		if (!d->drive_name)
			goto fail;
	}
	if (make_path(NVMED_SENSOR_PREFIX, name, &d->sensor_path) < 0 ||
	    make_path(NVMED_DRIVE_PREFIX, d->drive_name, &d->drive_path) < 0 ||
	    make_path(NVMED_CONTROLLER_PREFIX, d->drive_name,
		      &d->controller_path) < 0)
		goto fail;
	if (set_string(&d->serial, "") < 0 || set_string(&d->model, "") < 0 ||
	    set_string(&d->firmware, "") < 0 ||
	    set_string(&d->manufacturer, "") < 0 ||
	    set_string(&d->smart_warnings, "") < 0 ||
	    set_string(&d->status_flags, "") < 0 ||
	    set_string(&d->drive_life_used, "") < 0)
		goto fail;

	if (drive_find_by_name(m,
			       d->sensor_path + strlen(NVMED_SENSOR_PREFIX))) {
		r = -EEXIST;
		goto fail;
	}

	r = bus_drive_add(d);
	if (r < 0)
		goto fail;

	d->next = m->drives;
	if (m->drives)
		m->drives->prev = d;
	m->drives = d;
	m->n_drives++;
	bus_storage_update(m);
	*ret = d;
	return 0;
fail:
	drive_free(d);
	return r;
}

struct drive *drive_free(struct drive *d)
{
	if (!d)
		return NULL;
	if (d->prev || d->m->drives == d) {
		if (d->prev)
			d->prev->next = d->next;
		else
			d->m->drives = d->next;
		if (d->next)
			d->next->prev = d->prev;
		d->m->n_drives--;
	}
	if (d->on_bus) {
		bus_drive_remove(d);
		bus_storage_update(d->m);
	}
	mctpd_cancel_setup(d);
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
	free(d->endpoint_path);
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

struct drive *drive_find_by_config(struct manager *m, const char *path,
				   enum drive_origin origin)
{
	for (struct drive *d = m->drives; d; d = d->next)
		if (d->origin == origin && strcmp(d->config_path, path) == 0)
			return d;
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

struct drive *drive_find_by_name(struct manager *m, const char *escaped)
{
	size_t n = strlen(NVMED_SENSOR_PREFIX);

	for (struct drive *d = m->drives; d; d = d->next)
		if (strcmp(d->sensor_path + n, escaped) == 0)
			return d;
	return NULL;
}
