// SPDX-License-Identifier: Apache-2.0
/*
 * SMBus basic management command replies, with and without PEC, the way
 * nvmed reads them: basic_read_block() (src/nvmed/io/basic.h) over an i2c-dev
 * file descriptor, then the block decoded as drive.c does (command 0:
 * nvmed_decode_basic_status, command 8: nvmed_decode_basic_vpd).
 *
 * The I2C_SMBUS ioctl is answered here, for one descriptor of this
 * target's own, from the input bytes as the drive would clock them out:
 * the block count, the data, then the PEC byte (a byte the input lacks
 * reads as 0xff, an idle bus). Two adapters: Linux's SMBus emulation,
 * which refuses a count of 0 or above 32 (-EPROTO) and a wrong PEC
 * (-EBADMSG) as i2c-core does; and a careless native driver that hands
 * over whatever count byte the drive sent, which basic_read_block() must
 * refuse on its own.
 *
 * Input: flags (bit 0 PEC on, bit 1 command 8 instead of 0, bit 2 the
 * careless adapter, bits 3..7 the caller's buffer size - 1), then the
 * wire bytes.
 *
 * Invariants: a block is returned only with a count of 1..32, a correct
 * PEC when PEC is on, and no more bytes than the buffer holds, each the
 * one sent; a failure is -EPROTO or -EBADMSG and leaves the length
 * untouched; decoding twice gives the same; the serial is printable and
 * within 20 characters; a temperature is reported only for a drive that
 * says it is functional, within -60..127 C.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include "fuzz.h"
#include "src/nvmed/io/basic.h"
#include "src/nvmed/pure/decode.h"

#define DRIVE_ADDR 0x6a

/* The reply the next I2C_SMBUS ioctl on fake_fd gets. */
static int fake_fd = -1;
static struct {
	const uint8_t *wire;
	size_t len;
	bool pec, careless;
	int calls;
} reply;

static uint8_t wire_at(size_t i)
{
	return i < reply.len ? reply.wire[i] : 0xff;
}

/* SMBus PEC: CRC-8, x^8 + x^2 + x + 1, over every byte of the transfer
 * including the address bytes. */
static uint8_t crc8(uint8_t crc, uint8_t byte)
{
	crc ^= byte;
	for (int i = 0; i < 8; i++)
		crc = (uint8_t)(crc & 0x80 ? crc << 1 ^ 0x07 : crc << 1);
	return crc;
}

static int smbus_block_read(struct i2c_smbus_ioctl_data *args)
{
	union i2c_smbus_data *data = args->data;
	uint8_t count = wire_at(0), pec;

	if (args->read_write != I2C_SMBUS_READ ||
	    args->size != I2C_SMBUS_BLOCK_DATA)
		return -EINVAL;
	if (reply.careless) {
		/* the count byte as sent, the union filled to its end */
		for (size_t i = 0; i < sizeof(data->block); i++)
			data->block[i] = wire_at(i);
		return 0;
	}
	if (count == 0 || count > I2C_SMBUS_BLOCK_MAX)
		return -EPROTO;
	if (reply.pec) {
		pec = crc8(0, DRIVE_ADDR << 1);
		pec = crc8(pec, args->command);
		pec = crc8(pec, DRIVE_ADDR << 1 | 1);
		for (size_t i = 0; i <= count; i++)
			pec = crc8(pec, wire_at(i));
		if (pec != wire_at(1 + (size_t)count))
			return -EBADMSG;
	}
	for (size_t i = 0; i <= count; i++)
		data->block[i] = wire_at(i);
	return 0;
}

/* Takes glibc's place for this program (basic.c calls it); every other
 * descriptor and request goes to the kernel. */
int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != fake_fd || fd < 0)
		return (int)syscall(SYS_ioctl, fd, request, arg);
	reply.calls++;
	r = request == I2C_SMBUS ? smbus_block_read(arg) : -ENOTTY;
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

static bool correct_pec(uint8_t cmd, uint8_t count)
{
	uint8_t pec = crc8(0, DRIVE_ADDR << 1);

	pec = crc8(pec, cmd);
	pec = crc8(pec, DRIVE_ADDR << 1 | 1);
	for (size_t i = 0; i <= count; i++)
		pec = crc8(pec, wire_at(i));
	return pec == wire_at(1 + (size_t)count);
}

static void check_status(const uint8_t *buf, size_t n)
{
	struct nvmed_health h, again;
	int r = nvmed_decode_basic_status(buf, n, &h);

	if (n < NVMED_BASIC_STATUS_MIN) {
		FUZZ_CHECK(r == -EBADMSG, "status of %zu bytes: %d", n, r);
		return;
	}
	FUZZ_CHECK(r == 0, "status: %d", r);
	FUZZ_CHECK(!h.functional || h.ready, "functional but not ready");
	FUZZ_CHECK(h.functional || (isnan(h.temperature) && !h.temp_error),
		   "temperature %g (error %d) from a drive not functional",
		   h.temperature, h.temp_error);
	FUZZ_CHECK(isnan(h.temperature) ||
			   (h.temperature >= -60 && h.temperature <= 127),
		   "temperature %g", h.temperature);
	FUZZ_CHECK((h.crit_warning & ~0x1f) == 0, "warnings 0x%02x",
		   h.crit_warning);
	FUZZ_CHECK(nvmed_decode_basic_status(buf, n, &again) == 0 &&
			   fuzz_same_double(h.temperature, again.temperature) &&
			   h.temp_error == again.temp_error &&
			   h.functional == again.functional &&
			   h.ready == again.ready &&
			   h.crit_warning == again.crit_warning &&
			   h.used == again.used && h.nss == again.nss &&
			   h.sw == again.sw,
		   "status decoded twice differently");
}

static void check_vpd(const uint8_t *buf, size_t n)
{
	char serial[21], again[21];
	uint16_t vid, vid2;
	int r = nvmed_decode_basic_vpd(buf, n, &vid, serial);

	if (n < NVMED_BASIC_VPD_MIN) {
		FUZZ_CHECK(r == -EBADMSG, "VPD of %zu bytes: %d", n, r);
		return;
	}
	FUZZ_CHECK(r == 0, "VPD: %d", r);
	FUZZ_CHECK(fuzz_printable(serial, sizeof(serial)),
		   "serial not printable or not terminated");
	FUZZ_CHECK(nvmed_decode_basic_vpd(buf, n, &vid2, again) == 0 &&
			   vid == vid2 && strcmp(serial, again) == 0,
		   "VPD decoded twice differently");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in), cmd = flags & 2 ? 8 : 0;
	size_t buf_len = (size_t)(flags >> 3) + 1, len = 0x5a5a;
	uint8_t buf[I2C_SMBUS_BLOCK_MAX], count;
	int r;

	if (fake_fd < 0) {
		/* any descriptor will do: the ioctl above answers for it */
		fake_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fake_fd < 0)
			abort();
	}
	reply.wire = in.p;
	reply.len = in.n;
	reply.pec = flags & 1;
	reply.careless = flags & 4;
	reply.calls = 0;
	count = wire_at(0);

	memset(buf, 0xa5, sizeof(buf));
	r = basic_read_block(fake_fd, cmd, buf, buf_len, &len);
	FUZZ_CHECK(reply.calls == 1, "%d transfers for one read", reply.calls);
	if (r < 0) {
		FUZZ_CHECK(r == -EPROTO || r == -EBADMSG, "read failed with %d",
			   r);
		FUZZ_CHECK(len == 0x5a5a, "length set on failure");
		for (size_t i = 0; i < sizeof(buf); i++)
			FUZZ_CHECK(buf[i] == 0xa5, "buffer written on failure");
		FUZZ_CHECK(count == 0 || count > I2C_SMBUS_BLOCK_MAX ||
				   (reply.pec && !reply.careless &&
				    !correct_pec(cmd, count)),
			   "a good block of %u bytes refused (%d)", count, r);
		return 0;
	}
	FUZZ_CHECK(count >= 1 && count <= I2C_SMBUS_BLOCK_MAX,
		   "a block of count %u accepted", count);
	FUZZ_CHECK(!reply.pec || reply.careless || correct_pec(cmd, count),
		   "a block with a wrong PEC accepted");
	FUZZ_CHECK(len >= 1 && len <= count && len <= buf_len,
		   "%zu bytes from a block of %u into %zu", len, count,
		   buf_len);
	FUZZ_CHECK(len == (count < buf_len ? count : buf_len),
		   "%zu bytes from a block of %u into %zu", len, count,
		   buf_len);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(buf[i] == wire_at(1 + i), "byte %zu changed", i);
	for (size_t i = len; i < sizeof(buf); i++)
		FUZZ_CHECK(buf[i] == 0xa5, "byte %zu written past the block",
			   i);

	if (cmd == 8)
		check_vpd(buf, len);
	else
		check_status(buf, len);
	return 0;
}
