/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A drive: its state machine over NVMe-MI or the SMBus basic management
 * command (the schedule is poll.h's), and the state it publishes. drive.c
 * alone writes a struct drive; it records which published properties a
 * step changed (a mask of DRIVE_BIT()s) and hands the mask to the
 * manager's hooks once at the end of the step, which is where the D-Bus
 * surface (drive-bus.h) turns it into one PropertiesChanged per interface.
 * Everyone else reads.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "poll.h"
#include "power.h"
#include "reconcile.h"
#include "threshold.h"

struct emc_record;
struct iowork_req;
struct manager;

enum drive_fault {
	FAULT_CAPACITY,
	FAULT_TEMPERATURE,
	FAULT_DEGRADES,
	FAULT_MEDIA,
	FAULT_BACKUP,
	_FAULT_MAX,
};

/* The published properties, one bit each in a change mask. */
enum drive_prop {
	DRIVE_VALUE,
	DRIVE_THRESHOLD, /* + enum threshold_kind */
	DRIVE_ALARM = DRIVE_THRESHOLD + _THRESHOLD_MAX, /* + kind */
	DRIVE_AVAILABLE = DRIVE_ALARM + _THRESHOLD_MAX,
	DRIVE_SENSOR_FUNCTIONAL,
	DRIVE_PRESENT,
	DRIVE_CAPACITY,
	DRIVE_LIFE_LEFT,
	DRIVE_MANUFACTURER,
	DRIVE_MODEL,
	DRIVE_SERIAL,
	DRIVE_FIRMWARE,
	DRIVE_FUNCTIONAL,
	DRIVE_SMART_WARNINGS,
	DRIVE_STATUS_FLAGS,
	DRIVE_LIFE_USED,
	DRIVE_FAULT, /* + enum drive_fault */
	_DRIVE_PROP_MAX = DRIVE_FAULT + _FAULT_MAX,
};

#define DRIVE_BIT(p) (UINT64_C(1) << (p))
_Static_assert(_DRIVE_PROP_MAX <= 64, "a change mask is 64 bits");

struct drive {
	struct manager *m;
	struct drive *next, *prev;
	enum drive_origin origin;

	char *name;
	char *sensor_path; /* .../sensors/temperature/<escaped Name> */
	char *drive_name; /* the drive's name (names.h) */
	char *drive_path; /* .../inventory/drive/<escaped drive name> */
	char *controller_path; /* .../storage/1/controller/<escaped name> */
	char *config_path;
	char *board;
	struct emc_record *record; /* for write-back */
	void *surface; /* the D-Bus surface's handle (the added hook's) */

	/* I2C: the basic command's device, or where mctpd sets up the
	 * endpoint of a DRIVE_FROM_RECORD */
	unsigned i2c_bus;
	uint8_t i2c_addr;
	bool basic; /* SMBus basic management command */
	bool pec;
	/* below any muxes: the I/O worker that carries the transfers */
	unsigned root_bus;
	struct iowork_req *basic_req; /* the transfer in progress */

	/* read only in this host/chassis power state */
	enum power_state power_state;
	bool powered;

	/* MCTP endpoint, once known */
	bool have_endpoint;
	uint32_t net;
	uint8_t eid;

	/* NVMe-MI session */
	struct iowork_req *mi_req; /* the transaction in progress */
	bool mi_fresh; /* the next one reopens the endpoint */
	uint8_t mi_major, mi_minor;
	struct poll_state poll;
	uint64_t poll_ms;
	uint64_t last_good_usec; /* the published reading's; 0: none */
	uint64_t answered_usec; /* the last good reading's, kept; 0: none */
	sd_event_source *stale_timer; /* takes it away at its expiry */
	sd_event_source *timer;

	/* thresholds: from the record, else from WCTEMP/CCTEMP */
	bool config_thresholds;
	double id_warning, id_critical; /* last Identify's, NaN if none */
	struct threshold_set th;
	int th_index[_THRESHOLD_MAX];
	bool th_user[_THRESHOLD_MAX]; /* set over D-Bus: keep it */
	/* the thresholds published (1 << kind): those the record gives, or
	 * without record thresholds the drive's WCTEMP/CCTEMP once read */
	unsigned th_present;

	/* published state; D-Bus 'b' properties are ints */
	double value;
	int available;
	int sensor_functional;
	int drive_functional;
	int present;
	char *serial;
	char *model;
	char *firmware;
	char *manufacturer;
	uint64_t capacity;
	uint8_t life_left;
	char *smart_warnings;
	char *status_flags;
	char *drive_life_used;
	int faults[_FAULT_MAX];

	uint64_t dirty; /* DRIVE_BITs changed in this step */
};

/* Add a drive (the manager's added hook puts it on the bus). -EEXIST if a
 * drive already has this Name (escaped alike). */
int drive_new(struct manager *m, const struct drive_config *cfg,
	      struct drive **ret);
struct drive *drive_free(struct drive *d);

/* Start talking NVMe-MI to (net, eid); restarts if it was another one.
 * Who may have which endpoint is the reconciler's (reconcile.h,
 * drives_set_endpoint()): this is the drive's side only. */
int drive_set_endpoint(struct drive *d, uint32_t net, uint8_t eid);
/* The configuration's poll interval and availability window changed (0:
 * the manager's): in place, the session and anything running on the
 * drive go on; a poll due later than one new interval from now is
 * brought forward. */
void drive_set_poll(struct drive *d, uint64_t poll_ms, unsigned window);
/* The endpoint went away: stop, publish "unknown". */
void drive_clear_endpoint(struct drive *d);
/* The link is being recovered: no transaction until drive_link_release(),
 * the reading kept as the availability window says. Released with now =
 * true when the endpoint answers again (poll at once), false to go on
 * with the drive's back-off. */
void drive_link_hold(struct drive *d);
void drive_link_release(struct drive *d, bool now);
/* Read Identify Controller again at once (a firmware activation changes
 * the revision); NVMe-MI drives with an endpoint only. */
void drive_reidentify(struct drive *d);
/* Start polling the basic management command at (bus, addr). */
void drive_start_basic(struct drive *d, unsigned bus, uint8_t addr, bool pec);
/* The power state changed: start or stop polling as PowerState says. */
void drive_power_update(struct drive *d);

/*
 * Set threshold kind k to v over D-Bus: the alarms follow at once, and
 * the manager's threshold_set hook writes it back. -ERANGE if v is
 * neither NaN nor within NVMED_THRESHOLD_VALUE_MIN..MAX, -EROFS if v is
 * NaN and the kind comes from the record (which cannot hold NaN).
 */
int drive_set_user_threshold(struct drive *d, enum threshold_kind k, double v);
/*
 * The record's thresholds changed (found: it has any; th, NaN where it
 * has none, and index as in struct drive_config): update in place. A record that gains Thresholds
 * takes over from the drive's WCTEMP/CCTEMP; one that loses them falls
 * back to the drive's. A kind set over D-Bus that the record does not
 * hold keeps its value.
 */
void drive_update_thresholds(struct drive *d, struct emc_record *record,
			     bool found, const struct threshold_set *th,
			     const int index[_THRESHOLD_MAX]);

struct drive *drive_find_by_endpoint(struct manager *m, uint32_t net,
				     uint8_t eid);
