/* The CMOS real-time clock, read once at boot for the guests' wall clock. */
#include <asm/time.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/vcpu_time.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_CENTURY 0x32   /* where PC firmware keeps it (ACPI FADT's usual value) */

#define RTC_A_UIP 0x80      /* an update is in progress: registers are changing */
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04
#define RTC_HOUR_PM 0x80    /* in 12-hour mode */

#define RTC_READ_TRIES 10

struct rtc_time {
	u8 sec, min, hour, day, month, year, century;
};

/* Index writes keep bit 7 clear: NMIs stay enabled. */
static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void read_raw(struct rtc_time *t)
{
	t->sec = cmos_read(RTC_SECONDS);
	t->min = cmos_read(RTC_MINUTES);
	t->hour = cmos_read(RTC_HOURS);
	t->day = cmos_read(RTC_DAY);
	t->month = cmos_read(RTC_MONTH);
	t->year = cmos_read(RTC_YEAR);
	t->century = cmos_read(RTC_CENTURY);
}

static bool same(const struct rtc_time *a, const struct rtc_time *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->day == b->day &&
	       a->month == b->month && a->year == b->year && a->century == b->century;
}

/* Waits (at most about 10 ms, an update takes under 2) for no update in progress. */
static bool wait_not_updating(void)
{
	for (unsigned int i = 0; i < 10000; i++) {
		if (!(cmos_read(RTC_STATUS_A) & RTC_A_UIP))
			return true;
		udelay(1);
	}
	return false;
}

static unsigned int from_bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

u64 arch_rtc_read_seconds(void)
{
	struct rtc_time a, b;
	unsigned int sec, min, hour, day, month, year, century;
	bool pm;
	u8 status_b;

	/* Two identical readings with no update running between them. */
	for (unsigned int i = 0;; i++) {
		if (i == RTC_READ_TRIES || !wait_not_updating())
			return 0;
		read_raw(&a);
		if (!wait_not_updating())
			return 0;
		read_raw(&b);
		if (same(&a, &b))
			break;
	}
	status_b = cmos_read(RTC_STATUS_B);
	if (status_b == 0xff)
		return 0; /* no RTC: the bus reads all ones */
	pm = !(status_b & RTC_B_24H) && (a.hour & RTC_HOUR_PM);
	a.hour &= (u8)~RTC_HOUR_PM;
	if (status_b & RTC_B_BINARY) {
		sec = a.sec, min = a.min, hour = a.hour, day = a.day;
		month = a.month, year = a.year, century = a.century;
	} else {
		sec = from_bcd(a.sec), min = from_bcd(a.min), hour = from_bcd(a.hour);
		day = from_bcd(a.day), month = from_bcd(a.month), year = from_bcd(a.year);
		century = from_bcd(a.century);
	}
	if (!(status_b & RTC_B_24H))
		hour = hour % 12 + (pm ? 12 : 0);
	/* The century register is not everywhere: trust it only when plausible. */
	if (century >= 19 && century <= 21)
		year += century * 100;
	else
		year += year < 70 ? 2000 : 1900;
	if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || month < 1 ||
	    month > 12 || year < 1970 || year > 2199) {
		pr_warn("RTC: implausible date %u-%u-%u %u:%u:%u", year, month, day, hour, min, sec);
		return 0;
	}
	return unix_seconds(year, month, day, hour, min, sec);
}
