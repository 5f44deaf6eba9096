/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Linked with the whole of nvmed-pure and nothing but libc, libm and
 * json-c, with --no-undefined: the build fails if the pure code calls
 * into libsystemd, libnvme or any I/O edge of nvmed. Never run.
 */
int main(void)
{
	return 0;
}
