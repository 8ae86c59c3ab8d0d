/* The CMOS real-time clock, read once at boot for the guests' wall clock. */
#include <asm/time.h>
#include <asm/x86.h>
#include <mica/console.h>
#include <mica/lib.h>
#include <mica/vcpu_time.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b

#define RTC_A_UIP 0x80      /* an update is in progress: registers are changing */
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04
#define RTC_HOUR_PM 0x80    /* in 12-hour mode */

#define RTC_READ_TRIES 10

/* The date registers, by field; the century is where PC firmware keeps it (the FADT's usual). */
enum rtc_field { SECOND, MINUTE, HOUR, DAY, MONTH, YEAR, CENTURY, RTC_FIELDS };
static const u8 rtc_reg[RTC_FIELDS] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32 };

/* Index writes keep bit 7 clear: NMIs stay enabled. */
static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void read_raw(u8 t[RTC_FIELDS])
{
	for (unsigned int i = 0; i < RTC_FIELDS; i++)
		t[i] = cmos_read(rtc_reg[i]);
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

u64 arch_rtc_read_seconds(void)
{
	u8 a[RTC_FIELDS], b[RTC_FIELDS];
	unsigned int t[RTC_FIELDS];
	bool pm;
	u8 status_b;

	/* Two identical readings with no update running between them. */
	for (unsigned int i = 0;; i++) {
		if (i == RTC_READ_TRIES || !wait_not_updating())
			return 0;
		read_raw(a);
		if (!wait_not_updating())
			return 0;
		read_raw(b);
		if (!memcmp(a, b, sizeof(a)))
			break;
	}
	status_b = cmos_read(RTC_STATUS_B);
	if (status_b == 0xff)
		return 0; /* no RTC: the bus reads all ones */
	pm = !(status_b & RTC_B_24H) && (a[HOUR] & RTC_HOUR_PM);
	a[HOUR] &= (u8)~RTC_HOUR_PM;
	/* Each field is BCD unless status B says binary. */
	for (unsigned int i = 0; i < RTC_FIELDS; i++)
		t[i] = (status_b & RTC_B_BINARY) ? a[i] : (a[i] >> 4) * 10u + (a[i] & 0xfu);
	if (!(status_b & RTC_B_24H))
		t[HOUR] = t[HOUR] % 12 + (pm ? 12 : 0);
	/* The century register is not everywhere: trust it only when plausible. */
	if (t[CENTURY] >= 19 && t[CENTURY] <= 21)
		t[YEAR] += t[CENTURY] * 100;
	else
		t[YEAR] += t[YEAR] < 70 ? 2000 : 1900;
	if (t[SECOND] > 59 || t[MINUTE] > 59 || t[HOUR] > 23 || t[DAY] < 1 || t[DAY] > 31 ||
	    t[MONTH] < 1 || t[MONTH] > 12 || t[YEAR] < 1970 || t[YEAR] > 2199) {
		pr_warn("RTC: implausible date %u-%u-%u %u:%u:%u", t[YEAR], t[MONTH], t[DAY],
			t[HOUR], t[MINUTE], t[SECOND]);
		return 0;
	}
	return unix_seconds(t[YEAR], t[MONTH], t[DAY], t[HOUR], t[MINUTE], t[SECOND]);
}
