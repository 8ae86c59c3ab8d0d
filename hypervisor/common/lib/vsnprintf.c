/* A small, bounded printf formatter: the only one the hypervisor has. */
#include <mica/lib.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters the full output needs */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width,
		       bool left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;

	if (!left)
		while (fill-- > 0)
			put(o, pad);
	while (n--)
		put(o, *s++);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

struct numfmt {
	unsigned int base;
	bool upper, left, zero, alt, plus, space;
	int width, prec;
};

static void put_number(struct out *o, u64 v, bool neg, const struct numfmt *f)
{
	const char *digits = f->upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], head[3];
	int n = 0, h = 0, zeros, total;

	do {
		tmp[n++] = digits[v % f->base];
		v /= f->base;
	} while (v);
	if (f->prec == 0 && n == 1 && tmp[0] == '0')
		n = 0;
	if (neg)
		head[h++] = '-';
	else if (f->plus)
		head[h++] = '+';
	else if (f->space)
		head[h++] = ' ';
	if (f->alt && f->base == 16) {
		head[h++] = '0';
		head[h++] = f->upper ? 'X' : 'x';
	}
	zeros = f->prec > n ? f->prec - n : 0;
	if (f->alt && f->base == 8 && !zeros && (n == 0 || tmp[n - 1] != '0'))
		zeros = 1; /* '#' with %o: the number starts with a 0 */
	total = h + zeros + n;
	if (f->zero && !f->left && f->prec < 0 && f->width > total) {
		zeros += f->width - total;
		total = f->width;
	}
	if (!f->left)
		for (int i = total; i < f->width; i++)
			put(o, ' ');
	for (int i = 0; i < h; i++)
		put(o, head[i]);
	while (zeros-- > 0)
		put(o, '0');
	while (n > 0)
		put(o, tmp[--n]);
	if (f->left)
		for (int i = total; i < f->width; i++)
			put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		struct numfmt f = { .base = 10, .prec = -1 };
		int lng = 0;
		bool sgn = false;
		u64 v;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (;;) {
			char c = *++fmt;

			if (c == '-')
				f.left = true;
			else if (c == '0')
				f.zero = true;
			else if (c == '#')
				f.alt = true;
			else if (c == '+')
				f.plus = true;
			else if (c == ' ')
				f.space = true;
			else
				break;
		}
		if (*fmt == '*') {
			f.width = va_arg(ap, int);
			if (f.width < 0) {
				f.left = true;
				f.width = -f.width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				f.width = f.width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			f.prec = 0;
			if (*++fmt == '*') {
				f.prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					f.prec = f.prec * 10 + (*fmt++ - '0');
			}
		}
		for (;; fmt++) {
			if (*fmt == 'l' || *fmt == 'z')
				lng = 2;
			else if (*fmt == 'h')
				lng = lng == -1 ? -2 : -1;
			else
				break;
		}
		switch (*fmt) {
		case 'c': {
			char c = (char)va_arg(ap, int);

			put_padded(&o, &c, 1, f.width, f.left, ' ');
			continue;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t n;

			if (!s)
				s = "(null)";
			n = f.prec >= 0 ? strnlen(s, (size_t)f.prec) : strlen(s);
			put_padded(&o, s, n, f.width, f.left, ' ');
			continue;
		}
		case '%':
			put(&o, '%');
			continue;
		case 'p':
			f.base = 16;
			f.alt = true;
			v = (u64)(uintptr_t)va_arg(ap, void *);
			put_number(&o, v, false, &f);
			continue;
		case 'd':
		case 'i':
			sgn = true;
			break;
		case 'u':
			break;
		case 'x':
			f.base = 16;
			break;
		case 'X':
			f.base = 16;
			f.upper = true;
			break;
		case 'o':
			f.base = 8;
			break;
		case '\0':
			fmt--;
			continue;
		default:
			put(&o, '%');
			put(&o, *fmt);
			continue;
		}
		if (sgn) {
			s64 s = lng == 2 ? va_arg(ap, long long) : va_arg(ap, int);

			if (lng == -1)
				s = (short)s;
			else if (lng == -2)
				s = (signed char)s;
			put_number(&o, s < 0 ? (u64)0 - (u64)s : (u64)s, s < 0, &f);
		} else {
			f.plus = f.space = false; /* signs are for signed conversions only */
			v = lng == 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
			if (lng == -1)
				v = (unsigned short)v;
			else if (lng == -2)
				v = (unsigned char)v;
			put_number(&o, v, false, &f);
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
