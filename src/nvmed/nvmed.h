/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvmed internals shared by main.c (wiring), config.c (records),
 * mctpd.c (endpoints), drive.c (state machine) and bus.c (D-Bus surface).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "decode.h"
#include "power.h"
#include "threshold.h"

struct iowork_set;
struct iowork_req;

#define NVMED_BUS_NAME	     "xyz.openbmc_project.NVMe"
#define NVMED_SENSORS_ROOT   "/xyz/openbmc_project/sensors"
#define NVMED_SENSOR_PREFIX  "/xyz/openbmc_project/sensors/temperature/"
#define NVMED_INVENTORY_ROOT "/xyz/openbmc_project/inventory"
#define NVMED_DRIVE_PREFIX   "/xyz/openbmc_project/inventory/drive/"
/* bmcweb serves drives and controllers under Systems/<system>/Storage/1
 * only (redfish-core/lib/storage.hpp, storage_controller.hpp), so all of
 * nvmed's drives hang off one Storage whose Id, its last path segment,
 * is "1"; each drive's controller is below it, named after the drive. */
#define NVMED_STORAGE_PATH	"/xyz/openbmc_project/inventory/storage/1"
#define NVMED_CONTROLLER_PREFIX NVMED_STORAGE_PATH "/controller/"

/* Longest back-off between attempts at a failing drive. */
#define NVMED_BACKOFF_MAX_MS 30000
/* SMART / Health log every this many health polls. */
#define NVMED_SMART_EVERY 10
/* Identify Controller again every this many health polls (a swap without
 * a lost endpoint changes the serial); also after a lost endpoint, a
 * power-on and a window of failures (avail.h). */
#define NVMED_IDENTIFY_EVERY 3600
/* A refused Identify or SMART (a valid reply with an error status) is
 * asked again after this many health polls. */
#define NVMED_REFUSED_RETRY 60

struct emc_record;
struct emc_source;
struct mctpd;
struct mi_root;
struct mi_ep;

struct manager {
	sd_event *event;
	sd_bus *bus;
	struct mi_root *mi;
	struct emc_source *config;
	struct mctpd *mctpd;
	struct power *power;
	const char *sysfs_root; /* "/sys"; root buses of muxed I2C buses */
	struct drive *drives;
	unsigned n_drives;
	/* MCTPI2CTarget/MCTPI3CTarget records: endpoint names */
	struct target *targets;
	uint64_t poll_ms;
	unsigned window; /* default availability window (avail.h) */
	unsigned timeout_ms;
	sd_bus_slot *om_sensors;
	sd_bus_slot *om_inventory;
	struct evlog *evlog; /* drive faults to phosphor-logging */
	struct iowork_set *iowork; /* SMBus transfers, off this loop */
	/* the Storage object, on the bus while there are drives */
	sd_bus_slot *storage_slots[3];
	bool storage_on_bus;
	sd_event_source *request_name; /* fallback timer */
	bool name_requested;
};

/* Where a drive comes from. */
enum drive_origin {
	DRIVE_FROM_RECORD, /* NVME1000 Protocol mi_i2c: we set it up */
	DRIVE_FROM_ENDPOINT, /* mctpd endpoint configured_by a record */
	DRIVE_FROM_JSON, /* NVMeMI record: static network + EID */
	DRIVE_FROM_BASIC, /* NVME1000 Protocol mi_basic: SMBus */
	DRIVE_FROM_PNVME, /* phosphor-nvme configuration file entry */
};

enum drive_step {
	STEP_IDLE, /* no endpoint */
	STEP_SUBSYS_INFO,
	STEP_IDENTIFY,
	STEP_HEALTH,
	STEP_SMART,
	STEP_BASIC_VPD, /* basic command 8: vendor, serial */
	STEP_BASIC_STATUS, /* basic command 0: health */
};

enum drive_fault {
	FAULT_CAPACITY,
	FAULT_TEMPERATURE,
	FAULT_DEGRADES,
	FAULT_MEDIA,
	FAULT_BACKUP,
	_FAULT_MAX,
};

#define BUS_SLOTS 24

struct drive {
	struct manager *m;
	struct drive *next, *prev;
	enum drive_origin origin;

	char *name; /* PrettyName: the record's Name */
	char *sensor_path; /* .../sensors/temperature/<escaped Name> */
	char *drive_name; /* the drive's name (names.h) */
	char *drive_path; /* .../inventory/drive/<escaped drive name> */
	char *controller_path; /* NVMED_CONTROLLER_PREFIX<escaped name> */
	char *config_path; /* record path (or the endpoint's configured_by) */
	char *board; /* parent of the record; NULL if none */
	/* mctpd's endpoint object: DRIVE_FROM_ENDPOINT's own, or the path
	 * SetupEndpoint returned for DRIVE_FROM_RECORD */
	char *endpoint_path;
	uint64_t poll_ms;

	/* DRIVE_FROM_RECORD: SetupEndpoint on this I2C bus/address */
	unsigned i2c_bus;
	uint8_t i2c_addr;
	sd_bus_slot *setup_call;
	sd_event_source *setup_timer;
	unsigned setup_failures;

	/* SMBus basic management command (DRIVE_FROM_BASIC/PNVME) */
	bool basic;
	bool pec;
	/* below any muxes: what the transfer occupies. Logged only: drives
	 * on one root bus never overlap because the whole daemon runs one
	 * transaction at a time on one thread (drive.c), which serialises
	 * them as dbus-sensors' thread per root bus does. */
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
	enum drive_step step;
	unsigned polls;
	unsigned failures; /* consecutive */
	unsigned window; /* failures that make the reading unavailable */
	uint64_t last_good_usec; /* the published reading's; 0: none */
	sd_event_source *stale_timer; /* takes it away at its expiry */
	uint8_t mi_major, mi_minor;
	/* Identify done for this endpoint: a reconnection goes straight to
	 * the health poll */
	bool identified;
	unsigned since_identify;
	bool identify_refused, smart_refused;
	unsigned smart_skip; /* health polls without SMART after a refusal */
	uint64_t next_poll_usec;
	sd_event_source *timer;

	/* thresholds: from the record, else from WCTEMP/CCTEMP */
	bool config_thresholds;
	double id_warning, id_critical; /* last Identify's, NaN if none */
	struct threshold_set th;
	/* the record (for write-back) and each kind's Thresholds<N> index,
	 * -1 when the kind did not come from the record */
	struct emc_record *record;
	int th_index[_THRESHOLD_MAX];
	bool th_user[_THRESHOLD_MAX]; /* set over D-Bus: keep it */

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

	sd_bus_slot *slots[BUS_SLOTS];
	unsigned n_slots;
	bool on_bus;
};

/* drive.c */
int drive_new(struct manager *m, enum drive_origin origin, const char *name,
	      const char *config_path, const char *board, uint64_t poll_ms,
	      const struct threshold_set *thresholds, struct drive **ret);
struct drive *drive_free(struct drive *d);
/* Start talking NVMe-MI to (net, eid); restarts if it was another one. */
int drive_set_endpoint(struct drive *d, uint32_t net, uint8_t eid);
/* The endpoint went away: stop, publish "unknown". */
void drive_clear_endpoint(struct drive *d);
/* mctpd is recovering the drive's endpoint: no transaction until
 * drive_link_release(), the reading kept as the availability window
 * says. Released with now = true when the endpoint answers again (poll
 * at once), false to go on with the drive's back-off. */
void drive_link_hold(struct drive *d);
void drive_link_release(struct drive *d, bool now);
/* Start polling the basic management command at (bus, addr). */
void drive_start_basic(struct drive *d, unsigned bus, uint8_t addr, bool pec);
/* The power state changed: start or stop polling as PowerState says. */
void drive_power_update(struct drive *d);
/* Threshold values changed (over D-Bus or from the record): re-evaluate
 * the alarms against the current value. */
void drive_thresholds_changed(struct drive *d);
/* Give kind k this value and hysteresis; PropertiesChanged if it changed. */
void drive_set_threshold(struct drive *d, enum threshold_kind k, double value,
			 double hysteresis);
/* Without record thresholds: WarningHigh/CriticalHigh from the drive's
 * last Identify (WCTEMP/CCTEMP), unless set over D-Bus. */
void drive_thresholds_from_identify(struct drive *d);
struct drive *drive_find_by_config(struct manager *m, const char *path,
				   enum drive_origin origin);
struct drive *drive_find_by_endpoint(struct manager *m, uint32_t net,
				     uint8_t eid);
struct drive *drive_find_by_name(struct manager *m, const char *escaped);

/* bus.c */
int bus_setup(struct manager *m);
int bus_drive_add(struct drive *d);
/* The Storage object follows the set of drives (and their boards). */
void bus_storage_update(struct manager *m);
void bus_drive_remove(struct drive *d);
/* Emit PropertiesChanged for the NULL-terminated property list. */
void bus_emit(struct drive *d, bool sensor, const char *iface, ...);
void bus_threshold_asserted(struct drive *d, enum threshold_kind k,
			    bool asserted, double value);

/* mctpd.c */
int mctpd_new(struct manager *m, struct mctpd **ret);
struct mctpd *mctpd_free(struct mctpd *c);
/* Ask mctpd (asynchronously, retried with back-off) to set up the drive's
 * endpoint on its I2C bus/address. */
int mctpd_setup_endpoint(struct drive *d);
void mctpd_cancel_setup(struct drive *d);
/* The drive stopped answering (its window of failures): ask mctpd
 * to Recover its endpoint (mctpd removes it if it does not answer), and
 * set a record drive's endpoint up again (a power-cycled or swapped drive
 * has lost its EID). Asynchronous. */
void mctpd_endpoint_failing(struct drive *d);
/* Re-derive endpoint drives (names changed, records came or went). */
void mctpd_reconcile(struct manager *m);
/* Pure: MCTP interface of an I2C bus, looked up below sysfs_root
 * ("/sys" in production), else "mctpi2c<bus>". */
int mctpd_interface_for_bus(const char *sysfs_root, unsigned bus, char **ret);

/* config.c */
int config_start(struct manager *m, const char *json_path);
/* --check-config: validate a JSON file's records as the daemon would,
 * print each refusal; returns the number refused or -errno. */
int config_check_file(const char *path);
/* phosphor-nvme's nvme_config.json as an extra source (pnvme.h). */
int config_load_pnvme(struct manager *m, const char *path);
/* Write a threshold set over D-Bus back to the record, if it has one. */
void config_write_threshold(struct drive *d, enum threshold_kind k);
void config_stop(struct manager *m);
/* Name and board of an MCTP target record at path; -ENOENT if unknown. */
int config_target_lookup(struct manager *m, const char *path,
			 const char **ret_name, const char **ret_board);
/* True if an NVME1000 record at path is handled here (it owns its
 * endpoint; an mctpd endpoint configured_by it is not a second drive). */
bool config_is_nvme_record(struct manager *m, const char *path);
