// SPDX-License-Identifier: Apache-2.0
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnvme-mi.h>

#include "log.h"
#include "mi.h"

_Static_assert(MI_STATUS_MI == (NVME_STATUS_TYPE_MI << NVME_STATUS_TYPE_SHIFT),
	       "libnvme's MI status type");

struct mi_root {
	nvme_root_t root;
	unsigned timeout_ms;
	unsigned mprt_max_ms;
	int log_level;
};

struct mi_ep {
	nvme_mi_ep_t ep;
	nvme_mi_ctrl_t ctrl; /* controller 0, created on first Admin use */
};

int mi_root_new(unsigned timeout_ms, unsigned mprt_max_ms, int log_level,
		struct mi_root **ret)
{
	struct mi_root *r;

	assert(ret);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->root = nvme_mi_create_root(stderr, log_level);
	if (!r->root) {
		free(r);
		return -ENOMEM;
	}
	/* libnvme 1.3 sends an Identify on every open otherwise: one more
	 * full timeout per reconnection of a dead drive. */
	nvme_mi_set_probe_enabled(r->root, false);
	r->timeout_ms = timeout_ms;
	r->mprt_max_ms = mprt_max_ms;
	r->log_level = log_level;
	*ret = r;
	return 0;
}

bool mi_mprt_max_supported(void)
{
#ifdef HAVE_NVME_MI_EP_SET_MPRT_MAX
	return true;
#else
	return false;
#endif
}

unsigned mi_transaction_limit_ms(const struct mi_root *r)
{
	return 2 * r->timeout_ms + r->mprt_max_ms;
}

void mi_root_params(const struct mi_root *r, unsigned *timeout_ms,
		    unsigned *mprt_max_ms, int *log_level)
{
	*timeout_ms = r->timeout_ms;
	*mprt_max_ms = r->mprt_max_ms;
	*log_level = r->log_level;
}

struct mi_root *mi_root_free(struct mi_root *r)
{
	if (!r)
		return NULL;
	nvme_mi_free_root(r->root);
	free(r);
	return NULL;
}

int mi_open(struct mi_root *r, unsigned net, uint8_t eid, struct mi_ep **ret)
{
	struct mi_ep *e;
	int rc;

	assert(r && ret);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	errno = 0;
	e->ep = nvme_mi_open_mctp(r->root, net, eid);
	if (!e->ep) {
		rc = negative_errno();
		free(e);
		return rc;
	}
	rc = nvme_mi_ep_set_timeout(e->ep, r->timeout_ms);
	if (rc < 0) {
		rc = negative_errno();
		mi_close(e);
		return rc;
	}
#ifdef HAVE_NVME_MI_EP_SET_MPRT_MAX
	nvme_mi_ep_set_mprt_max(e->ep, r->mprt_max_ms);
#else
	/* libnvme 1.3 declares but does not export it: a More Processing
	 * Required wait is then bounded by the drive's MPRT only. */
	(void)r->mprt_max_ms;
#endif
	*ret = e;
	return 0;
}

struct mi_ep *mi_close(struct mi_ep *e)
{
	if (!e)
		return NULL;
	/* nvme_mi_close frees the endpoint's controllers too. */
	nvme_mi_close(e->ep);
	free(e);
	return NULL;
}

/*
 * libnvme: -1 + errno on transport errors, else the MI/NVMe status.
 *
 * Before libnvme 1.8 (2f722b1b), a MIC (CRC) mismatch returns +1 with
 * errno untouched. MI status 1 (More Processing Required) is handled
 * inside libnvme and never returned, but for Admin commands +1 is also
 * NVMe "Invalid Command Opcode": on those versions the two cannot be told
 * apart, and +1 is taken as a corrupted reply (-EBADMSG: close, reopen,
 * count a failure), because Identify and Get Log Page are mandatory Admin
 * commands a drive does not refuse by opcode. From 1.8 on a MIC mismatch
 * is -1/EBADMSG and +1 is passed on as the status it is.
 */
static int normalise(int rc)
{
	if (rc < 0)
		return negative_errno();
#ifndef NVMED_LIBNVME_MIC_IS_ERRNO
	if (rc == 1)
		return -EBADMSG;
#endif
	return rc;
}

static int ensure_ctrl(struct mi_ep *e)
{
	if (e->ctrl)
		return 0;
	errno = 0;
	e->ctrl = nvme_mi_init_ctrl(e->ep, 0);
	return e->ctrl ? 0 : negative_errno();
}

int mi_read_subsys_info(struct mi_ep *e, uint8_t *buf, size_t len)
{
	struct nvme_mi_read_nvm_ss_info info;
	int rc;

	assert(e && buf && len == sizeof(info));
	errno = 0;
	rc = normalise(nvme_mi_mi_read_mi_data_subsys(e->ep, &info));
	if (rc == 0)
		memcpy(buf, &info, sizeof(info));
	return rc;
}

int mi_health_poll(struct mi_ep *e, uint8_t *buf, size_t len)
{
	struct nvme_mi_nvm_ss_health_status hs;
	int rc;

	assert(e && buf && len == sizeof(hs));
	errno = 0;
	rc = normalise(
		nvme_mi_mi_subsystem_health_status_poll(e->ep, true, &hs));
	if (rc == 0)
		memcpy(buf, &hs, sizeof(hs));
	return rc;
}

int mi_identify_ctrl(struct mi_ep *e, uint8_t *buf, size_t len)
{
	struct nvme_identify_args args = {
		.args_size = sizeof(args),
		.data = buf,
		.cns = NVME_IDENTIFY_CNS_CTRL,
		.csi = NVME_CSI_NVM,
		.nsid = NVME_NSID_NONE,
		.cntid = NVME_CNTLID_NONE,
		.cns_specific_id = NVME_CNSSPECID_NONE,
		.uuidx = NVME_UUID_NONE,
	};
	int rc;

	/* DLEN is a dword multiple */
	assert(e && buf && len > 0 && len <= NVME_IDENTIFY_DATA_SIZE &&
	       len % 4 == 0);
	rc = ensure_ctrl(e);
	if (rc < 0)
		return rc;
	errno = 0;
	rc = normalise(nvme_mi_admin_identify_partial(e->ctrl, &args, 0, len));
	return rc;
}

int mi_smart_log(struct mi_ep *e, uint8_t *buf, size_t len)
{
	struct nvme_smart_log log;
	int rc;

	assert(e && buf && len == sizeof(log));
	rc = ensure_ctrl(e);
	if (rc < 0)
		return rc;
	errno = 0;
	rc = normalise(nvme_mi_admin_get_log_smart(e->ctrl, NVME_NSID_ALL,
						   false, &log));
	if (rc == 0)
		memcpy(buf, &log, sizeof(log));
	return rc;
}

/*
 * nvme_mi_admin_admin_passthru() (libnvme 1.3 and later) carries any
 * Admin command of up to 4 KiB. Before 1.6 it raises the endpoint's
 * timeout for good when asked for a longer one, so the longer timeout is
 * set here and the endpoint's own put back after the command.
 */
int mi_admin(struct mi_ep *e, const struct mi_admin_cmd *c, uint8_t *data,
	     size_t len)
{
	unsigned saved;
	int rc;

	assert(e && c && len <= 4096 && (len == 0 || data));
	rc = ensure_ctrl(e);
	if (rc < 0)
		return rc;
	saved = nvme_mi_ep_get_timeout(e->ep);
	if (c->timeout_ms > saved)
		(void)nvme_mi_ep_set_timeout(e->ep, c->timeout_ms);
	errno = 0;
	rc = normalise(nvme_mi_admin_admin_passthru(
		e->ctrl, c->opcode, 0, 0, c->nsid, 0, 0, c->cdw[0], c->cdw[1],
		c->cdw[2], c->cdw[3], c->cdw[4], c->cdw[5], (uint32_t)len,
		len ? data : NULL, 0, NULL, 0, NULL));
	if (c->timeout_ms > saved)
		(void)nvme_mi_ep_set_timeout(e->ep, saved);
	return rc;
}
