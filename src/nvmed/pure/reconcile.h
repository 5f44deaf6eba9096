/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where drives are born and die: one pure function. Each source says
 * which drives it wants (the records of entity-manager or a JSON file,
 * phosphor-nvme's file, mctpd's endpoints), as a desired set of
 * configurations; rc_reconcile() compares it with the drives there are
 * and says what to create, keep, update in place or remove, and which
 * wanted drive is refused and why. drives.c carries that out.
 *
 * Every precedence rule between drives lives here:
 *   - a drive is matched to what is wanted by its record's path (an
 *     endpoint drive by its mctpd object path); the first of two wanted
 *     at one path wins;
 *   - a configured drive wins over the one made for an mctpd endpoint:
 *     an endpoint configured_by an NVME1000 record is that record's
 *     drive, and an endpoint a record's drive polls (an NVMeMI record's
 *     EID, an NVME1000 mi_i2c drive's set-up EID) is no drive of its own,
 *     whichever came first (rc_endpoint_claim());
 *   - one drive per device: a basic (SMBus) drive holds its I2C address
 *     on its bus, on every mux channel below a root bus and on the root
 *     bus above a channel; two drives never poll one endpoint;
 *   - one drive per name: Names that escape alike (as entity-manager
 *     and sdbusplus escape a path segment) are one name.
 * A drive that is there wins over one that is not yet, but a configured
 * drive always wins over an endpoint drive (for its device or its name);
 * among new ones, records before endpoints, each in the order given.
 *
 * Configurations are compared whole (drive_config_diff()), field by
 * field as DRIVE_CONFIG_FIELDS lists them, each with how its change is
 * taken: what may change in place (thresholds, the poll interval, the
 * availability window, the record's handle) updates the drive, anything
 * else rebuilds it. A field is added to the struct on that list, with
 * its kind, or not at all.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "power-state.h"
#include "threshold.h"

struct emc_record;

/* Where a drive comes from. */
enum drive_origin {
	DRIVE_FROM_RECORD, /* NVME1000 Protocol mi_i2c: we set it up */
	DRIVE_FROM_ENDPOINT, /* mctpd endpoint configured_by a record */
	DRIVE_FROM_JSON, /* NVMeMI record: static network + EID */
	DRIVE_FROM_BASIC, /* NVME1000 Protocol mi_basic: SMBus */
	DRIVE_FROM_PNVME, /* phosphor-nvme configuration file entry */
};

/*
 * What a record (or the phosphor-nvme file, or an mctpd endpoint) says
 * about a drive; made with drive_config_init().
 *
 * The fields, each with how a change of it is taken: DC_REBUILD (the
 * drive is made anew), DC_STRING (compared by content; a change
 * rebuilds), DC_IN_PLACE (the drive is updated where it is),
 * DC_THRESHOLDS (by content, in place). The comparison walks this same
 * list, so a field cannot be added without saying how it changes.
 */
/* clang-format off */
#define DRIVE_CONFIG_FIELDS(X)						\
	X(enum drive_origin, origin, , DC_REBUILD)			\
	/* PrettyName: the record's Name */				\
	X(const char *, name, , DC_STRING)				\
	/* record path (or endpoint's configured_by) */			\
	X(const char *, config_path, , DC_STRING)			\
	/* parent of the record; NULL if none */			\
	X(const char *, board, , DC_STRING)				\
	/* 0: the manager's */						\
	X(uint64_t, poll_ms, , DC_IN_PLACE)				\
	/* 0: the manager's */						\
	X(unsigned, window, , DC_IN_PLACE)				\
	X(enum power_state, power_state, , DC_REBUILD)			\
	/* NULL: WarningHigh/CriticalHigh from the drive's WCTEMP/CCTEMP;	\
	 * with each kind's Thresholds<N> index in record, -1 if not	\
	 * from it */							\
	X(const struct threshold_set *, thresholds, , DC_THRESHOLDS)	\
	X(int, th_index, [_THRESHOLD_MAX], DC_THRESHOLDS)		\
	/* referenced; NULL if none */					\
	X(struct emc_record *, record, , DC_IN_PLACE)			\
	/* DRIVE_FROM_RECORD: mctpd sets it up on this I2C bus/address;	\
	 * DRIVE_FROM_BASIC/PNVME: the basic command's device */	\
	X(unsigned, i2c_bus, , DC_REBUILD)				\
	X(uint8_t, i2c_addr, , DC_REBUILD)				\
	X(bool, pec, , DC_REBUILD)					\
	/* basic: the bus below any muxes (basic_root_bus()) */		\
	X(unsigned, root_bus, , DC_REBUILD)				\
	/* DRIVE_FROM_JSON and DRIVE_FROM_ENDPOINT: the endpoint */	\
	X(uint32_t, net, , DC_REBUILD)					\
	X(uint8_t, eid, , DC_REBUILD)					\
	/* DRIVE_FROM_ENDPOINT: mctpd's endpoint object */		\
	X(const char *, endpoint, , DC_STRING)
/* clang-format on */

struct drive_config {
#define DRIVE_CONFIG_FIELD(type, field, dim, how) type field dim;
	DRIVE_CONFIG_FIELDS(DRIVE_CONFIG_FIELD)
#undef DRIVE_CONFIG_FIELD
};

void drive_config_init(struct drive_config *c);

enum drive_config_change {
	DRIVE_CONFIG_SAME,
	DRIVE_CONFIG_IN_PLACE, /* thresholds, poll interval, window, record */
	DRIVE_CONFIG_REBUILD, /* anything else */
};

/* How b differs from a. */
enum drive_config_change drive_config_diff(const struct drive_config *a,
					   const struct drive_config *b);
/* Which of what may change in place differs: the poll interval or
 * window; the thresholds (values and Thresholds<N> indexes; the record
 * handle is compared on its own). */
bool drive_config_poll_differs(const struct drive_config *a,
			       const struct drive_config *b);
bool drive_config_thresholds_differ(const struct drive_config *a,
				    const struct drive_config *b);

/* Do the two Names escape alike (one object path segment)? */
bool rc_names_clash(const char *a, const char *b);

/* A drive there is: its configuration, and the endpoint it polls (a
 * record drive learns it from mctpd). */
struct rc_drive {
	struct drive_config cfg;
	bool have_endpoint;
	uint32_t net;
	uint8_t eid;
};

enum rc_verb {
	RC_KEEP, /* cur and want: nothing to do */
	RC_UPDATE, /* cur and want: in place */
	RC_REMOVE, /* cur */
	RC_CREATE, /* want */
	RC_REFUSE, /* want: not made (other: the drive in the way) */
};

enum rc_why {
	RC_WHY_NONE,
	RC_WHY_GONE, /* REMOVE: no longer wanted */
	RC_WHY_CHANGED, /* REMOVE then CREATE: changed beyond in place */
	RC_WHY_RECORD, /* REMOVE/REFUSE: endpoint drive, a record's device */
	RC_WHY_DUPLICATE, /* REFUSE: a second one wanted at one path */
	RC_WHY_DEVICE, /* REFUSE: a basic drive polls the device */
	/* REFUSE: another drive has the name; REMOVE: an endpoint drive
	 * with a new record's name */
	RC_WHY_NAME,
};

#define RC_NONE ((size_t)-1)

struct rc_action {
	enum rc_verb verb;
	enum rc_why why;
	size_t cur; /* index in cur, RC_NONE if none */
	size_t want; /* index in want, RC_NONE if none */
	/* REFUSE, and REMOVE for RC_WHY_RECORD: the winner's config (in cur
	 * or want), NULL if none */
	const struct drive_config *other;
};

/*
 * The actions that make cur (n_cur drives) what want (n_want) says, in
 * the order to apply them: every REMOVE first, then KEEP/UPDATE, then
 * CREATE and REFUSE; each drive there gets one of KEEP, UPDATE, REMOVE,
 * each wanted one one of KEEP, UPDATE, CREATE, REFUSE (a rebuilt drive:
 * REMOVE, then CREATE or REFUSE). endpoints_partial: what is known of the endpoints
 * may lack some (mctpd's objects are being read): endpoint drives not
 * wanted are kept. work: rc_work_size() bytes of scratch (suitably
 * aligned, as malloc() gives); ret: room for n_cur + n_want actions.
 * Returns the number of actions.
 */
size_t rc_work_size(size_t n_cur, size_t n_want);
size_t rc_reconcile(const struct rc_drive *cur, size_t n_cur,
		    const struct drive_config *want, size_t n_want,
		    bool endpoints_partial, void *work, struct rc_action *ret);

enum rc_claim {
	RC_CLAIM_OK,
	RC_CLAIM_TAKEOVER, /* *other, an endpoint drive, must go first */
	RC_CLAIM_REFUSED, /* *other, a configured drive, has it */
};

/* Drive cur[i] is to poll endpoint (net, eid): may it? */
enum rc_claim rc_endpoint_claim(const struct rc_drive *cur, size_t n_cur,
				size_t i, uint32_t net, uint8_t eid,
				size_t *other);

/* ---- the sets the sources make ---- */

/* One wanted drive: cfg's strings must live through drives_reconcile()
 * (or be handed over in own[], freed after); cfg.thresholds is set from
 * th when has_th. */
struct drive_want {
	struct drive_config cfg;
	struct threshold_set th;
	bool has_th;
	char *own[2];
};

struct drive_wants {
	struct drive_want *v;
	size_t n, cap;
};

/* A new entry at the end, its cfg drive_config_init()ed; NULL if out of
 * memory. */
struct drive_want *drive_wants_add(struct drive_wants *w);
/* Free the entries and what they own; w is empty after. */
void drive_wants_clear(struct drive_wants *w);
