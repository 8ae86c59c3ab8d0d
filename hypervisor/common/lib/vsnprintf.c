/* A small, bounded printf formatter: the only one the hypervisor has. */
#include <mica/lib.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters the full output needs */
};

/* One conversion's flags, width and precision (-1: none given). */
struct spec {
	bool zero, alt;
	int width, prec;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* s[0..n) right-aligned in width columns. */
static void put_padded(struct out *o, const char *s, size_t n, int width)
{
	for (int fill = width - (int)n; fill > 0; fill--)
		put(o, ' ');
	while (n--)
		put(o, *s++);
}

static void put_number(struct out *o, u64 v, bool neg, unsigned int base, const struct spec *f)
{
	bool prefix = f->alt && base == 16;
	char tmp[24];
	int n = 0, zeros, total;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (f->prec == 0 && n == 1 && tmp[0] == '0')
		n = 0;
	zeros = f->prec > n ? f->prec - n : 0;
	total = neg + 2 * prefix + zeros + n;
	if (f->zero && f->prec < 0 && f->width > total) {
		zeros += f->width - total;
		total = f->width;
	}
	for (int i = total; i < f->width; i++)
		put(o, ' ');
	if (neg)
		put(o, '-');
	if (prefix) {
		put(o, '0');
		put(o, 'x');
	}
	while (zeros-- > 0)
		put(o, '0');
	while (n > 0)
		put(o, tmp[--n]);
}

/* Reads a decimal number at *fmt, moving past it. */
static int get_decimal(const char **fmt)
{
	int v = 0;

	while (**fmt >= '0' && **fmt <= '9')
		v = v * 10 + (*(*fmt)++ - '0');
	return v;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		struct spec f = { .prec = -1 };
		bool wide = false;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (fmt++; *fmt == '0' || *fmt == '#'; fmt++) {
			f.zero |= *fmt == '0';
			f.alt |= *fmt == '#';
		}
		f.width = get_decimal(&fmt);
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				f.prec = va_arg(ap, int);
				fmt++;
			} else {
				f.prec = get_decimal(&fmt);
			}
		}
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			wide = true;
		switch (*fmt) {
		case 'c': {
			char c = (char)va_arg(ap, int);

			put_padded(&o, &c, 1, f.width);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			put_padded(&o, s, f.prec >= 0 ? strnlen(s, (size_t)f.prec) : strlen(s),
				   f.width);
			break;
		}
		case 'd': {
			s64 v = wide ? va_arg(ap, long long) : va_arg(ap, int);

			put_number(&o, v < 0 ? (u64)0 - (u64)v : (u64)v, v < 0, 10, &f);
			break;
		}
		case 'u':
		case 'x':
			put_number(&o, wide ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int),
				   false, *fmt == 'x' ? 16 : 10, &f);
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--; /* a lone % at the end is dropped */
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
