/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em-template.h"
#include "macros.h"

static bool is_op_char(char c)
{
	return c == '+' || c == '-' || c == '*' || c == '/' || c == '%';
}

/* Leading integer of tok, like std::stoi: optional blanks and sign, then
 * at least one digit; what follows is ignored. */
static bool parse_leading_int(const char *tok, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(tok, &end, 10);
	if (end == tok || errno != 0)
		return false;
	*ret = v;
	return true;
}

static bool apply_op(int64_t a, char op, int64_t b, int64_t *ret)
{
	int64_t r;

	switch (op) {
	case '+':
		if (__builtin_add_overflow(a, b, &r))
			return false;
		break;
	case '-':
		if (__builtin_sub_overflow(a, b, &r))
			return false;
		break;
	case '*':
		if (__builtin_mul_overflow(a, b, &r))
			return false;
		break;
	case '/':
		if (b == 0 || (a == INT64_MIN && b == -1))
			return false;
		r = a / b;
		break;
	case '%':
		if (b == 0 || (a == INT64_MIN && b == -1))
			return false;
		r = a % b;
		break;
	default:
		return false;
	}
	*ret = r;
	return true;
}

/* Replace every case-insensitive occurrence of tmpl in s by value. */
static char *replace_all(const char *s, const char *tmpl, const char *value)
{
	size_t tlen = strlen(tmpl), vlen = strlen(value);
	size_t n = 0, len;
	const char *p;
	char *out, *o;

	for (p = strcasestr(s, tmpl); p; p = strcasestr(p + tlen, tmpl))
		n++;
	len = strlen(s) - n * tlen + n * vlen;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	o = out;
	for (;;) {
		p = strcasestr(s, tmpl);
		if (!p)
			break;
		memcpy(o, s, p - s);
		o += p - s;
		memcpy(o, value, vlen);
		o += vlen;
		s = p + tlen;
	}
	strcpy(o, s);
	return out;
}

/*
 * "$NAME <op> N <op> N ... rest": s is the whole string, start/end delimit
 * the template. Returns the new string, NULL on allocation failure, or s
 * itself (not copied) when the expression cannot be evaluated.
 */
static char *expand_math(char *s, size_t start, size_t end, const char *value)
{
	_cleanup_free_ char *rest = NULL;
	char *toks[256];
	size_t n = 0, i;
	int64_t number;
	bool want_op = true;
	char op = '+';
	char *out, *p;
	size_t len;
	int r;

	if (!parse_leading_int(value, &number))
		return s;

	rest = strdup(s + end + 1);
	if (!rest)
		return NULL;
	/* split on single spaces, keeping empty tokens; the last slot keeps
	 * whatever is left */
	for (p = rest;;) {
		toks[n++] = p;
		if (n == ARRAY_SIZE(toks))
			break;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n < 2)
		return s;

	for (i = 0; i < n; i++) {
		if (want_op) {
			if (strlen(toks[i]) != 1 || !is_op_char(toks[i][0]))
				break;
			op = toks[i][0];
		} else {
			int64_t operand;

			if (!parse_leading_int(toks[i], &operand))
				continue; /* skipped, as entity-manager does */
			/* entity-manager throws on division by zero: leave
			 * the string as it is */
			if (!apply_op(number, op, operand, &number))
				return s;
		}
		want_op = !want_op;
	}

	len = start + 24;
	for (size_t j = i; j < n; j++)
		len += strlen(toks[j]) + 1;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	r = snprintf(out, len + 1, "%.*s%lld", (int)start, s,
		     (long long)number);
	for (size_t j = i; j < n && r >= 0; j++) {
		strcat(out, " ");
		strcat(out, toks[j]);
	}
	return out;
}

int em_expand(const char *s, const struct em_var *vars, size_t n_vars,
	      char **ret)
{
	_cleanup_free_ char *str = NULL;

	str = strdup(s);
	if (!str)
		return -ENOMEM;

	for (size_t v = 0; v < n_vars; v++) {
		_cleanup_free_ char *tmpl = NULL;
		size_t start, end, len = strlen(str);
		char *found, *next;

		if (asprintf(&tmpl, "$%s", vars[v].name) < 0)
			return -ENOMEM;
		found = strcasestr(str, tmpl);
		if (!found)
			continue;
		start = found - str;
		end = start + strlen(tmpl);

		if (start == 0 && end == len) {
			next = strdup(vars[v].value);
			if (!next)
				return -ENOMEM;
			*ret = next;
			return 0;
		}

		if (end + 1 < len && is_op_char(str[end + 1])) {
			next = expand_math(str, start, end, vars[v].value);
			if (!next)
				return -ENOMEM;
			if (next != str) {
				free(str);
				str = next;
			}
			continue;
		}

		next = replace_all(str, tmpl, vars[v].value);
		if (!next)
			return -ENOMEM;
		free(str);
		str = next;
	}

	*ret = TAKE_PTR(str);
	return 0;
}

bool em_string_to_uint(const char *s, uint64_t *ret)
{
	const char *digits = s;
	int base = 10;
	unsigned long long v;
	char *end;

	if (strncmp(s, "0x", 2) == 0) {
		digits = s + 2;
		base = 16;
	}
	if (!*digits)
		return false;
	for (const char *p = digits; *p; p++)
		if (base == 16 ? !isxdigit((unsigned char)*p) :
				 !isdigit((unsigned char)*p))
			return false;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno != 0 || *end)
		return false;
	*ret = v;
	return true;
}

/* entity-manager's sanitising (src/dbus_util.cpp: every byte that is not
 * an ASCII letter or digit becomes '_'), then sdbusplus object_path's
 * operator/= (src/message/native_types.cpp): a segment whose first byte
 * is not alphanumeric has every non-alphanumeric byte, the first
 * included, written as '_' and two lower-case hex digits. */
char *em_escape(const char *s)
{
	size_t len = strlen(s), o = 0;
	bool hex = len > 0 && !isalnum((unsigned char)s[0]);
	char *out = malloc(3 * len + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c > 0x7f || !isalnum(c))
			c = '_';
		if (hex && c == '_') {
			o += (size_t)sprintf(out + o, "_%02x", c);
			continue;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}
